/*
 * Batch oracle for Debian version comparison: the code `dpkg --compare-versions` runs
 * (parseversion + dpkg_version_compare from libdpkg, as in dpkg's src/main/enquiry.c cmpversions),
 * in a loop over "A<TAB>B" lines on stdin, so thousands of pairs cost one process.
 * Prints -1, 0 or 1, or 2 when dpkg would refuse either version (an error, not a warning).
 * Build: gcc -o dpkg-compare dpkg-compare.c $(pkg-config --cflags --libs libdpkg)   (libdpkg-dev)
 */
#define LIBDPKG_VOLATILE_API 1
#include <stdio.h>
#include <string.h>
#include <dpkg/dpkg.h>
#include <dpkg/dpkg-db.h>
#include <dpkg/version.h>

/* As cmpversions: an empty string or "<unknown>" is the blank version; a warning is not a refusal. */
static int parse(struct dpkg_version *v, const char *s) {
  struct dpkg_error err = DPKG_ERROR_INIT;
  if (!*s || strcmp(s, "<unknown>") == 0) {
    dpkg_version_blank(v);
    return 0;
  }
  int bad = parseversion(v, s, &err) < 0 && err.type != DPKG_MSG_WARN;
  dpkg_error_destroy(&err);
  return bad ? -1 : 0;
}

int main(void) {
  static char line[1 << 16];
  while (fgets(line, sizeof line, stdin)) {
    size_t n = strlen(line);
    if (n && line[n - 1] == '\n') line[--n] = 0;
    char *tab = strchr(line, '\t');
    if (!tab) return 3;
    *tab = 0;
    struct dpkg_version a, b;
    if (parse(&a, line) < 0 || parse(&b, tab + 1) < 0) {
      puts("2");
      continue;
    }
    int r = dpkg_version_compare(&a, &b);
    puts(r < 0 ? "-1" : r > 0 ? "1" : "0");
  }
  return 0;
}

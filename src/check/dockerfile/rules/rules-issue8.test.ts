/** The rules and fixes of issue 8: mounts from images, ONBUILD apt, aptitude, pins, pipefail, ADD, CMD form, WORKDIR, missing stages, pragmas. */
import { describe, expect, it } from 'vitest';
import { lintDockerfile } from '../lint.js';
import type { LintOptions } from '../types.js';

const D = 'sha256:' + 'cd'.repeat(32);
/** A final stage that triggers no image rule, so each case shows only what it is about. */
const BASE = `FROM gcr.io/distroless/static-debian12:nonroot@${D}`;

function ids(text: string, opts: LintOptions = {}): Array<[string, number]> {
  return lintDockerfile(text, opts).findings.map((f) => [f.id, f.line ?? 0]);
}
function only(id: string, text: string, opts: LintOptions = {}): number[] {
  return ids(text, opts).filter(([i]) => i === id).map(([, l]) => l);
}

describe('RUN --mount from= images', () => {
  const allowed = { allowedRegistries: ['trusted.example', 'gcr.io'] };
  it('judges bind and cache mounts from an image against the allowed registries', () => {
    expect(only('untrusted-registry', `${BASE}\nRUN --mount=type=bind,from=untrusted.example/img:1@${D},target=/x true\n`, allowed)).toEqual([2]);
    expect(only('untrusted-registry', `${BASE}\nRUN --mount=type=cache,target=/c,from=untrusted.example/img:1@${D} true\n`, allowed)).toEqual([2]);
    expect(only('untrusted-registry', `${BASE}\nRUN --mount=type=bind,from=trusted.example/img:1@${D},target=/x true\n`, allowed)).toEqual([]);
  });
  it('leaves mounts from a stage alone, and applies the tag rules to images', () => {
    expect(ids(`FROM ${'scratch'} AS b\n${BASE}\nRUN --mount=type=bind,from=b,target=/x true\n`, allowed)).toEqual([]);
    expect(only('latest-tag', `${BASE}\nRUN --mount=type=bind,from=trusted.example/img:latest,target=/x true\n`)).toEqual([2]);
  });
});

describe('apt-lists-not-removed (DL3009)', () => {
  it('judges ONBUILD RUN apt-get in any stage: it runs in the child image', () => {
    expect(only('apt-lists-not-removed', `FROM debian:12@${D} AS a\nONBUILD RUN apt-get update\n${BASE}\n`)).toEqual([2]);
    expect(only('apt-lists-not-removed', `${BASE}\nONBUILD RUN apt-get update && rm -rf /var/lib/apt/lists/*\n`)).toEqual([]);
  });
  it('recognises aptitude', () => {
    expect(only('apt-lists-not-removed', `${BASE}\nRUN aptitude update && aptitude install -R -y curl=1\n`)).toEqual([2]);
    expect(only('apt-no-install-recommends', `${BASE}\nRUN aptitude install -y curl=1 && rm -rf /var/lib/apt/lists/*\n`)).toEqual([2]);
    expect(only('apt-no-install-recommends', `${BASE}\nRUN aptitude install --without-recommends -y curl=1\n`)).toEqual([]);
  });
  it('once docker-clean is removed, wants /var/cache/apt mounted or cleaned too', () => {
    const rm = 'RUN rm -f /etc/apt/apt.conf.d/docker-clean';
    expect(only('apt-lists-not-removed', `${BASE}\n${rm}\nRUN --mount=type=cache,target=/var/lib/apt apt-get update\n`)).toEqual([3]);
    expect(only('apt-lists-not-removed', `${BASE}\n${rm}\nRUN --mount=type=cache,target=/var/lib/apt --mount=type=cache,target=/var/cache/apt apt-get update\n`)).toEqual([]);
    expect(only('apt-lists-not-removed', `${BASE}\nRUN --mount=type=cache,target=/var/lib/apt apt-get update\n`)).toEqual([]);
  });
});

describe('apt-unpinned (DL3008) and apk-unpinned (DL3018)', () => {
  it('wants pkg=version for apt-get, apt and aptitude install', () => {
    expect(only('apt-unpinned', `${BASE}\nRUN apt-get install -y --no-install-recommends curl=8.5.0-2 ca-certificates\n`)).toEqual([2]);
    expect(only('apt-unpinned', `${BASE}\nRUN apt-get install -y -t bookworm-backports curl=8.5.0-2 ./local.deb foo/bookworm $PKGS\n`)).toEqual([]);
    expect(only('apt-unpinned', `${BASE}\nRUN apt update && apt install -y x\n`)).toEqual([2]);
  });
  it('wants pkg=version or pkg~version for apk add, skipping option values', () => {
    expect(only('apk-unpinned', `${BASE}\nRUN apk add --no-cache --virtual .deps -X https://r.example/main gcc=13.2.1-r0 musl~1.2 ./x.apk\n`)).toEqual([]);
    expect(only('apk-unpinned', `${BASE}\nRUN apk add --no-cache curl\n`)).toEqual([2]);
    expect(lintDockerfile(`${BASE}\nRUN apk add --no-cache a b c d\n`).findings[0]!.message).toContain('a, b, c and 1 more');
  });
});

describe('pipefail-missing (DL4006)', () => {
  const pipe = 'RUN wget -O - https://x.example | wc -l > /n';
  it('fires on a pipe under the default shell', () => {
    expect(only('pipefail-missing', `${BASE}\n${pipe}\n`)).toEqual([2]);
    expect(only('pipefail-missing', `${BASE}\nRUN a && b || c\n`)).toEqual([]);
  });
  it('accepts SHELL with -o pipefail (bash, zsh, ash, any path), inherited by FROM <stage>, reset by another FROM', () => {
    for (const shell of ['"/bin/bash", "-eo", "pipefail", "-c"', '"/usr/bin/zsh", "-o", "pipefail", "-c"', '"/bin/ash", "-euxo", "pipefail", "-c"']) {
      expect(only('pipefail-missing', `${BASE}\nSHELL [${shell}]\n${pipe}\n`)).toEqual([]);
    }
    expect(only('pipefail-missing', `${BASE} AS a\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nFROM a\n${pipe}\nFROM scratch\n${pipe}\n`)).toEqual([6]);
    expect(only('pipefail-missing', `${BASE}\nSHELL ["/bin/sh", "-o", "pipefail", "-c"]\n${pipe}\n`)).toEqual([3]);
    expect(only('pipefail-missing', `${BASE}\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nSHELL ["/bin/sh", "-c"]\n${pipe}\n`)).toEqual([4]);
  });
  it('accepts set -o pipefail before the pipe, and ignores non-POSIX shells', () => {
    expect(only('pipefail-missing', `${BASE}\nRUN set -euo pipefail; wget -O- https://x | wc -l\n`)).toEqual([]);
    expect(only('pipefail-missing', `${BASE}\nRUN wget -O- https://x | wc -l; set -o pipefail\n`)).toEqual([2]);
    expect(only('pipefail-missing', `${BASE}\nSHELL ["pwsh", "-c"]\nRUN Get-Variable PSVersionTable | Select-Object\n`)).toEqual([]);
  });
});

describe('add-local-file (DL3020), shell-form-cmd (DL3025), relative-workdir (DL3000)', () => {
  it('wants COPY for local files, not for archives or URLs', () => {
    expect(only('add-local-file', `${BASE}\nADD app.py /app/\nADD rootfs.tar.xz /\nADD --checksum=sha256:${'ab'.repeat(32)} https://x.example/a /a\nADD ["src dir", "/dst"]\n`)).toEqual([2, 5]);
  });
  it('wants JSON form for CMD and ENTRYPOINT', () => {
    expect(only('shell-form-cmd', `${BASE}\nCMD ["app"]\nENTRYPOINT ["app"]\nCMD app --serve\nENTRYPOINT exec app\n`)).toEqual([4, 5]);
  });
  it('wants an absolute WORKDIR (a variable or a Windows drive counts)', () => {
    expect(only('relative-workdir', `${BASE}\nWORKDIR /app\nWORKDIR "$HOME"\nWORKDIR C:\\\\app\nWORKDIR app\nWORKDIR "src"\n`)).toEqual([5, 6]);
  });
});

describe('copy-from-missing-stage (DL3022)', () => {
  it('reports an index out of range, the stage itself, and a bare name that is no stage', () => {
    const text = `FROM scratch AS build\n${BASE} AS final\nCOPY --from=build /a /a\nCOPY --from=0 /b /b\nCOPY --from=5 /c /c\nCOPY --from=1 /d /d\nCOPY --from=biuld /e /e\nCOPY --from=ghcr.io/acme/t:1@${D} /f /f\nRUN --mount=type=bind,from=buidl,target=/x true\n`;
    expect(only('copy-from-missing-stage', text)).toEqual([5, 6, 7, 9]);
    expect(lintDockerfile(text).findings.find((f) => f.line === 7)!.message).toContain('docker.io/library/biuld:latest');
  });
  it('accepts a stage defined later (BuildKit resolves COPY --from over every stage)', () => {
    expect(only('copy-from-missing-stage', `FROM scratch\nCOPY --from=later /a /a\nFROM scratch AS later\n`)).toEqual([]);
  });
});

describe('inline pragmas', () => {
  const run = 'RUN apt-get update && apt-get install -y curl';
  it('# hadolint ignore= silences the named codes on the next instruction only', () => {
    const text = `${BASE}\n# hadolint ignore=DL3008,DL3015\n${run}\n${run}\n`;
    const r = lintDockerfile(text);
    expect(r.findings.filter((f) => f.line === 3).map((f) => f.id)).toEqual(['apt-lists-not-removed']);
    expect(r.findings.filter((f) => f.line === 4).map((f) => f.id).sort()).toEqual(['apt-lists-not-removed', 'apt-no-install-recommends', 'apt-unpinned']);
    expect(r.suppressed.map((f) => [f.id, f.line, f.suppression.kind])).toEqual([
      ['apt-no-install-recommends', 3, 'pragma'],
      ['apt-unpinned', 3, 'pragma'],
    ]);
    expect(r.suppressed[0]!.suppression.reason).toBe('# hadolint ignore=DL3008,DL3015 (line 2)');
  });
  it('# shipshape ignore= takes rule ids; blank and comment lines may sit between; spaces after commas', () => {
    const text = `${BASE}\n# shipshape ignore=apt-unpinned, apt-lists-not-removed\n\n# why: pinned by the snapshot mirror\n${run}\n`;
    expect(ids(text)).toEqual([['apt-no-install-recommends', 5]]);
  });
  it('global ignore applies to the whole file; a pragma inside a RUN or a heredoc is not one', () => {
    expect(ids(`# hadolint global ignore=DL3008,DL3009,DL3015\n${BASE}\n${run}\n${run}\n`)).toEqual([]);
    const inside = `${BASE}\nRUN <<EOF\n# hadolint ignore=DL3008\napt-get install -y --no-install-recommends curl\nEOF\n`;
    expect(only('apt-unpinned', inside)).toEqual([4]);
  });
  it('silences findings reported on the FROM line of the next stage, and nothing else', () => {
    const plain = ids('FROM ubuntu\nUSER 1\n');
    expect(plain.map(([i]) => i)).toContain('untagged-image');
    expect(ids('# hadolint ignore=DL3006\nFROM ubuntu\nUSER 1\n')).toEqual(plain.filter(([i]) => i !== 'untagged-image').map(([i, l]) => [i, l + 1]));
  });
});

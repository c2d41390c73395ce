/** Loaded with `node --import` by the benchmarks: prints the process's peak RSS (KiB), CPU time (µs, all threads) and the main thread's CPU time (µs, Linux only) on stderr at exit. */
import { readFileSync } from 'node:fs';

// utime + stime of this (the main) thread from /proc, in clock ticks of 10 ms; -1 where there is no /proc.
function mainThreadMicros() {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return -1;
  }
}

process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`shipshape-bench-rss=${u.maxRSS} cpu=${u.userCPUTime + u.systemCPUTime} main=${mainThreadMicros()}\n`);
});

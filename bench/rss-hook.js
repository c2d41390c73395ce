/** Loaded with `node --import` by the benchmarks: prints the process's peak RSS (KiB) and CPU time (µs, all threads) on stderr at exit. */
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`shipshape-bench-rss=${u.maxRSS} cpu=${u.userCPUTime + u.systemCPUTime}\n`);
});

/** Loaded with `node --import` by the benchmarks: prints the process's peak RSS (KiB) on stderr at exit. */
process.on('exit', () => process.stderr.write(`shipshape-bench-rss=${process.resourceUsage().maxRSS}\n`));

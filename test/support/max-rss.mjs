// Preloaded into a CLI run by test/support/bounded.ts (node --import): reports the process's peak
// resident memory on its last line of stderr, so a test can bound what a run cost.
process.on('exit', () => process.stderr.write(`\n@max-rss-kb ${process.resourceUsage().maxRSS}\n`));

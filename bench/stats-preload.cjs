// Preloaded into a measured Node child (node --require): when it exits, writes its peak RSS (KiB)
// and the CPU time it used (ms, user + system) as JSON to MAILGUARD_BENCH_STATS_FILE. Bench only.
//
// On Linux the peak comes from VmHWM in /proc/self/status, which starts afresh at exec:
// getrusage's maxRSS keeps the high-water mark of the forked parent (the bench itself) across
// exec, so a child spawned from a 60-MB bench would never report less than 60 MB.
//
// CommonJS, loaded with --require: an ES module preload (--import) starts Node's ESM loader in
// both children, about 16M instructions that mailguard's own start (a CommonJS entry) never
// spends, which made the cold-start ratio (scenario 5) look better than a user's run.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');

const file = process.env.MAILGUARD_BENCH_STATS_FILE;
if (file) {
  process.on('exit', () => {
    let maxRssKiB = process.resourceUsage().maxRSS;
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) maxRssKiB = Number(m[1]);
    } catch {
      // Not Linux: maxRSS is the best there is.
    }
    const cpu = process.cpuUsage();
    writeFileSync(file, JSON.stringify({ maxRssKiB, cpuMs: (cpu.user + cpu.system) / 1000 }));
  });
}

// Preloaded into a measured Node child (node --import): writes the process's peak RSS (KiB) to
// MAILGUARD_BENCH_RSS_FILE when it exits. Used by the bench only.
//
// On Linux the peak comes from VmHWM in /proc/self/status, which starts afresh at exec:
// getrusage's maxRSS keeps the high-water mark of the forked parent (the bench itself) across
// exec, so a child spawned from a 60-MB bench would never report less than 60 MB.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.MAILGUARD_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    let kib = process.resourceUsage().maxRSS;
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) kib = Number(m[1]);
    } catch {
      // Not Linux: maxRSS is the best there is.
    }
    writeFileSync(file, String(kib));
  });
}

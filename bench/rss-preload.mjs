// Preloaded into a measured Node child (node --import): writes the process's peak RSS (KiB) to
// MAILGUARD_BENCH_RSS_FILE when it exits. Used by the bench only.
import { writeFileSync } from 'node:fs';

const file = process.env.MAILGUARD_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    writeFileSync(file, String(process.resourceUsage().maxRSS));
  });
}

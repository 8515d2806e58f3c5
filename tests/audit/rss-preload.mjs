// Preloaded into the audited CLI (NODE_OPTIONS=--import): writes its peak RSS (KiB) on exit.
import { writeFileSync } from 'node:fs';

const file = process.env.MAILGUARD_TEST_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));

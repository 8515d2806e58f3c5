// The fleet test with the full count: 1,000 messages from concurrent clients through two
// Postfix instances sharing one `mailguard milter --workers 2` (milter-fleet-run.ts).
import { fleetTest } from './milter-fleet-run.js';

fleetTest(1000, 600_000);

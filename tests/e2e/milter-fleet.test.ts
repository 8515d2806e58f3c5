// A fleet: two Postfix instances share one `mailguard milter --workers 2` (milter-fleet-run.ts).
// 200 messages keep npm test short on a shared 2-core machine; the 1,000 run in
// milter-fleet.slow.test.ts (npm run test:slow). MAILGUARD_FLEET_MESSAGES sets another count.
import { fleetTest } from './milter-fleet-run.js';

fleetTest(Number(process.env.MAILGUARD_FLEET_MESSAGES ?? 200), 240_000);

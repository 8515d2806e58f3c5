// The fleet test of issue 16, shared by tests/e2e/milter-fleet.test.ts (200 messages, npm test)
// and tests/e2e/milter-fleet.slow.test.ts (the 1,000, npm run test:slow): two Postfix
// instances share one `mailguard milter --workers 2`; half the messages clean, half exposed, from
// concurrent SMTP clients spread over both MTAs: every clean one is delivered exactly once, every
// exposed one is refused with 550 and delivered to nobody, and both workers log.
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPostfix, type PostfixInstance } from '../helpers/postfix.js';
import { spawnMilter, type MilterProcess } from './milter-process.js';

const CONCURRENT_CLIENTS = 16;
const DOMAINS = ['inbox.test', 'customer1.test', 'customer2.test', 'customer3.test'];
const CUSTOMERS = ['c1@customer1.test', 'c2@customer2.test', 'c3@customer3.test'];

/** Registers the fleet test with `MESSAGES` messages (in the calling test file). */
export function fleetTest(messages: number, timeoutMs: number): void {
  const MESSAGES = messages;
  let milter: MilterProcess | undefined;
  const mtas: PostfixInstance[] = [];

  beforeAll(async () => {
    milter = await spawnMilter(['--workers', '2', '--internal-domain', 'inbox.test', '--block-at', '2', '--warn-at', '2']);
    for (let i = 0; i < 2; i++) mtas.push(await startPostfix({ localDomains: DOMAINS, milter: milter.address, mainCf: { default_process_limit: '50' } }));
  }, 90_000);

  afterAll(async () => {
    for (const m of mtas) await m.stop();
    await milter?.stop();
  });

  it(`${MESSAGES} messages from ${CONCURRENT_CLIENTS} concurrent clients through two MTAs: clean ones delivered once, exposed ones refused`, async () => {
    const outcomes: Array<{ n: number; exposed: boolean; code: number; response: string }> = [];
    let next = 0;
    const client = async () => {
      for (;;) {
        const n = next++;
        if (n >= MESSAGES) return;
        const exposed = n % 2 === 1;
        const to = exposed ? [...CUSTOMERS, 'bob@inbox.test'] : ['bob@inbox.test'];
        const raw = `From: alice@inbox.test\r\nTo: ${exposed ? CUSTOMERS.join(', ') : 'bob@inbox.test'}\r\nSubject: fleet ${n}\r\nMessage-ID: <fleet-${n}@inbox.test>\r\n\r\nMessage ${n}.\r\n`;
        const mta = mtas[n % 2]!;
        const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mta.port, secure: false, ignoreTLS: true, logger: false });
        try {
          const info = await transport.sendMail({ envelope: { from: 'alice@inbox.test', to }, raw: Buffer.from(raw) });
          outcomes.push({ n, exposed, code: Number(info.response.slice(0, 3)), response: info.response });
        } catch (err) {
          const e = err as { responseCode?: number; response?: string; message: string };
          outcomes.push({ n, exposed, code: e.responseCode ?? 0, response: e.response ?? e.message });
        } finally {
          transport.close();
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT_CLIENTS }, client));

    expect(outcomes).toHaveLength(MESSAGES);
    const wrong = outcomes.filter((o) => (o.exposed ? o.code !== 550 || !/5\.7\.1 Blocked by mailguard/.test(o.response) : o.code !== 250));
    expect(wrong).toEqual([]);

    // Every clean message delivered exactly once, on the MTA it was sent to; no exposed one anywhere.
    const cleanCount = outcomes.filter((o) => !o.exposed).length;
    const deadline = Date.now() + 60_000;
    let delivered: string[] = [];
    while (Date.now() < deadline) {
      delivered = (await Promise.all(mtas.map((m) => m.messages()))).flat().map((m) => /^Subject: (fleet \d+)$/m.exec(m.raw.toString('latin1'))?.[1] ?? '');
      if (delivered.length >= cleanCount) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 1000));
    delivered = (await Promise.all(mtas.map((m) => m.messages()))).flat().map((m) => /^Subject: (fleet \d+)$/m.exec(m.raw.toString('latin1'))?.[1] ?? '');
    const expected = outcomes.filter((o) => !o.exposed).map((o) => `fleet ${o.n}`).sort();
    expect([...delivered].sort()).toEqual(expected);

    // One log line per message, from both workers.
    const events = milter!.events.filter((e) => e.event === 'message');
    expect(events).toHaveLength(MESSAGES);
    expect(events.filter((e) => e.action === 'blocked')).toHaveLength(MESSAGES - cleanCount);
    expect(new Set(events.map((e) => e.worker))).toEqual(new Set([1, 2]));
  }, timeoutMs);
}

// The IMAP adapter itself (src/io/imap.ts) against a real Dovecot: every message once, in UID
// order; with keepDate, messages it rejects cross the wire as their Date field only; a connection
// cut during either pass is reopened without losing or repeating a message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImapFolders } from '../../src/io/imap.js';
import { parseImapUrl } from '../../src/io/imap-url.js';
import { isFailure, type InputItem } from '../../src/io/inputs.js';
import { startCuttingProxy } from '../helpers/cutting-proxy.js';
import { startDovecot, type DovecotInstance } from '../helpers/dovecot.js';

const PASSWORD = 'adapter-pw';
const COUNT = 120;
let dovecot: DovecotInstance;

function message(n: number): string {
  const month = (n % 12) + 1;
  return [`From: a@corp.example`, `To: x${n}@x.test`, `Subject: m${n}`, `Date: Mon, 02 ${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][month - 1]} 2026 10:00:00 +0000`, `X-Pad: ${'p'.repeat(300)}`, '', `body ${n}`, ''].join('\r\n');
}

async function collect(port: number, options: Parameters<typeof readImapFolders>[2] = {}): Promise<InputItem[]> {
  const out: InputItem[] = [];
  for await (const item of readImapFolders([parseImapUrl(`imap://alice@127.0.0.1:${port}/Sent`)], { password: PASSWORD }, { reconnectDelayMs: 10, ...options })) out.push(item);
  return out;
}

const text = (i: InputItem) => (isFailure(i) ? '' : Buffer.from(i.bytes).toString('latin1'));
const uidOf = (i: InputItem) => Number(/;UID=(\d+)$/.exec(i.source)![1]);

beforeAll(async () => {
  dovecot = await startDovecot({ users: [{ user: 'alice', password: PASSWORD }] });
  await dovecot.addMessages('alice', 'Sent', Array.from({ length: COUNT }, (_, i) => ({ flags: i % 3 ? 'S' : '', bytes: message(i) })));
}, 60_000);
afterAll(async () => dovecot?.stop());

describe('readImapFolders', () => {
  it('yields every header block once, in UID order, in batches', async () => {
    const items = await collect(dovecot.port, { batchSize: 7 });
    expect(items).toHaveLength(COUNT);
    const uids = items.map(uidOf);
    expect(uids).toEqual([...uids].sort((a, b) => a - b));
    expect(new Set(uids).size).toBe(COUNT);
    for (const i of items) {
      expect(text(i)).toMatch(/^From: a@corp\.example\r\n[\s\S]*\r\n\r\n$/);
      expect(text(i)).not.toContain('body');
    }
  });

  it('with keepDate: rejected messages carry only their Date field; kept ones their whole header', async () => {
    const seen: string[] = [];
    const items = await collect(dovecot.port, {
      keepDate: (bytes) => {
        const t = Buffer.from(bytes).toString('latin1');
        seen.push(t);
        return / (Mar|Apr) 2026/.test(t);
      },
    });
    expect(items).toHaveLength(COUNT);
    expect(seen).toHaveLength(COUNT);
    expect(seen.every((t) => /^Date: [^\r\n]+\r\n\r\n$/.test(t))).toBe(true);
    const kept = items.filter((i) => text(i).startsWith('From:'));
    expect(kept).toHaveLength(20);
    expect(kept.every((i) => / (Mar|Apr) 2026/.test(text(i)))).toBe(true);
    expect(items.filter((i) => text(i).startsWith('Date:') && !text(i).includes('From:'))).toHaveLength(COUNT - 20);
  });

  for (const [pass, after] of [['Date pass', /HEADER\.FIELDS \(date resent-date\)/i], ['header pass', /BODY\.PEEK\[HEADER\]/i]] as const) {
    it(`a connection cut during the ${pass} is reopened: nothing lost, nothing twice`, async () => {
      const proxy = await startCuttingProxy({ targetPort: dovecot.port, after, cutAfterBytes: 3_000, connections: 'first' });
      try {
        const items = await collect(proxy.port, { batchSize: 50, keepDate: (b) => / (Jan|Feb|Mar|Apr|May|Jun) 2026/.test(Buffer.from(b).toString('latin1')) });
        expect(proxy.cut).toBe(1);
        expect(items.filter(isFailure)).toEqual([]);
        expect(items).toHaveLength(COUNT);
        expect(new Set(items.map(uidOf)).size).toBe(COUNT);
        expect(items.filter((i) => text(i).startsWith('From:'))).toHaveLength(60);
      } finally {
        await proxy.close();
      }
    });
  }

  it('a folder that does not exist, and a refused login, are failure items, not errors thrown', async () => {
    const missing: InputItem[] = [];
    for await (const i of readImapFolders([parseImapUrl(`imap://alice@127.0.0.1:${dovecot.port}/Nope`)], { password: PASSWORD })) missing.push(i);
    expect(missing).toEqual([{ source: `imap://alice@127.0.0.1:${dovecot.port}/Nope`, failure: { reason: 'imap-folder', detail: expect.stringMatching(/no such folder|exist/i) } }]);
    const refused: InputItem[] = [];
    for await (const i of readImapFolders([parseImapUrl(`imap://alice@127.0.0.1:${dovecot.port}/Sent`)], { password: 'wrong-pw-123' })) refused.push(i);
    expect(refused).toHaveLength(1);
    expect(isFailure(refused[0]!) && refused[0].failure.reason).toBe('imap-auth');
    expect(JSON.stringify(refused)).not.toContain('wrong-pw-123');
  });
});

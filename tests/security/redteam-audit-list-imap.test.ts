// Red team, over IMAP (a real Dovecot on 127.0.0.1): a Sent folder read over IMAP follows the
// list-traffic rule of a file audit (tests/security/redteam-audit-list-headers.test.ts): the list
// headers excuse only the list, so customers shown beside the list address are an incident.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotInstance } from '../helpers/dovecot.js';

const PASSWORD = 'list-imap-Pa55';
const customers = Array.from({ length: 30 }, (_, i) => `c${i}@cust${i}.example`).join(', ');
const message = (id: string, fields: string) =>
  ['From: me@corp.example', ...fields.split('\n'), 'Subject: s', 'Date: Mon, 2 Nov 2026 10:00:00 +0000', `Message-ID: <${id}@corp.example>`, '', 'body', ''].join('\r\n');

let dovecot: DovecotInstance;
beforeAll(async () => {
  dovecot = await startDovecot({ users: [{ user: 'alice', password: PASSWORD }] });
  await dovecot.addMessages('alice', 'Exposed', [{ flags: 'S', bytes: message('n1', `To: newsletter@corp.example\nCc: ${customers}\nList-Id: <newsletter.corp.example>`) }]);
  await dovecot.addMessages('alice', 'Lists', [
    { flags: 'S', bytes: message('l1', 'To: dev@lists.example.org\nCc: alice@one.example\nList-Id: <dev.lists.example.org>') },
    { flags: 'S', bytes: message('l2', 'To: newsletter@lists.example.org\nList-Post: <mailto:newsletter@lists.example.org>') },
  ]);
}, 60_000);
afterAll(async () => {
  await dovecot?.stop();
});

async function audit(folder: string) {
  const r = await runCli(['audit', `imap://alice@127.0.0.1:${dovecot.port}/${folder}`, '--internal-domain', 'corp.example', '--format', 'json'], { env: { MAILGUARD_IMAP_PASSWORD: PASSWORD } });
  const s = JSON.parse(r.stdout).summary;
  return [r.code, s.messages, s.incidents, s.listTraffic];
}

describe('red team: audit over IMAP, list headers excuse only the list', () => {
  it('a newsletter address with 30 customers in Cc and its List-Id: an incident', async () => {
    expect(await audit('Exposed')).toEqual([1, 1, 1, 0]);
  });
  it('control: a list reply with one person in Cc and a newsletter to the list only: list traffic', async () => {
    expect(await audit('Lists')).toEqual([0, 2, 0, 2]);
  });
});

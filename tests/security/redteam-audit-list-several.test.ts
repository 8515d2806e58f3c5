// Red team: a message is one list's copy. Several List-Id fields (RFC 2919: one) or several
// List-Post mailto addresses each excused the addresses they named, and each List-Id's host
// stopped counting as an organisation: six customers at six organisations, each named by a list
// field, were "list traffic", exit 0, where check blocks them. Several lists named is no one
// list's copy: the message is measured as check measures it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-redteam-audit-several-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SIX = Array.from({ length: 6 }, (_, i) => i);
const CUSTOMERS = SIX.map((i) => `c${i}@cust${i}.example`).join(', ');

let n = 0;
async function audit(fields: string) {
  const file = path.join(tmp, `m${n++}.mbox`);
  writeFileSync(file, `From me@corp.example Mon Nov  2 10:00:00 2026\nFrom: me@corp.example\n${fields}\nSubject: s\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\nbody\n\n`);
  const r = await runCli(['audit', file, '--internal-domain', 'corp.example', '--format', 'json']);
  const s = JSON.parse(r.stdout).summary;
  return [r.code, s.incidents, s.listTraffic];
}

describe('red team: audit, several lists named', () => {
  it.each<[string, string]>([
    ['a List-Id per customer host', `To: ${CUSTOMERS}\n${SIX.map((i) => `List-Id: <news.cust${i}.example>`).join('\n')}`],
    ['a List-Id per customer, read as their addresses', `To: ${CUSTOMERS}\n${SIX.map((i) => `List-Id: <c${i}.cust${i}.example>`).join('\n')}`],
    ['a List-Post per customer', `To: ${CUSTOMERS}\n${SIX.map((i) => `List-Post: <mailto:c${i}@cust${i}.example>`).join('\n')}`],
    ['one List-Post naming every customer', `To: ${CUSTOMERS}\nList-Post: ${SIX.map((i) => `<mailto:c${i}@cust${i}.example>`).join(', ')}`],
    ['the list in To, customers in Cc, a List-Id per customer host', `To: dev@lists.example.org\nCc: ${CUSTOMERS}\nList-Id: <dev.lists.example.org>\n${SIX.map((i) => `List-Id: <x.cust${i}.example>`).join('\n')}`],
  ])('%s: an incident', async (_name, fields) => {
    expect(await audit(fields)).toEqual([1, 1, 0]);
  });

  it.each<[string, string]>([
    ['List-Id and List-Post of one list', 'To: dev@lists.example.org\nCc: alice@one.example\nList-Id: <dev.lists.example.org>\nList-Post: <mailto:dev@lists.example.org>'],
    ['the same List-Id twice', 'To: dev@lists.example.org\nCc: alice@one.example\nList-Id: <dev.lists.example.org>\nList-Id: Dev <dev.lists.example.org>'],
    ['List-Post with a mailto and a web address', 'To: dev@lists.example.org\nCc: alice@one.example\nList-Post: <mailto:dev@lists.example.org>, <https://lists.example.org/post>'],
  ])('control, %s: list traffic', async (_name, fields) => {
    expect(await audit(fields)).toEqual([0, 0, 1]);
  });
});

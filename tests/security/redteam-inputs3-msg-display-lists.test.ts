// Red team, Outlook .msg: PR_DISPLAY_TO and PR_DISPLAY_CC name people the recipient table does not.
// An item with display lists (`a1@alpha.example; b1@beta.example`) and no recipient rows (or rows
// for some of them only), and no transport header, was read as the header its table makes: nobody
// (or the colleague alone) in To, and check said PASS, while Outlook shows those lists in the item.
// Now every entry of a display list that no row of the table names (by display name or address) is
// read as an unresolved row of that field: an address is checked as the address it is, a name fails
// closed (AMBIGUOUS_RECIPIENT). Display lists that name the table's rows change nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { argsOf, checkAttachments } from '../helpers/attachment-findings.js';
import { addresses } from '../helpers/office-files.js';
import { outlookMsg, type OutlookMessage } from '../helpers/outlook-msg.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-msg-display-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = ['a1@alpha.example', 'b1@beta.example', 'c1@gamma.example', 'd1@delta.example', 'e1@epsilon.example', 'f1@zeta.example'];
const base = { subject: 'offer', senderName: 'Alice', senderSmtp: 'alice@corp.example', body: 'hi' };
const colleague = { name: 'Bob Jones', smtp: 'bob@corp.example', type: 'to' as const };
const header = 'From: alice@corp.example\r\nTo: bob@corp.example\r\nSubject: offer\r\n';

interface Json {
  results: Array<{ verdict: string; findings: Array<{ code: string }> }>;
}

async function check(name: string, m: OutlookMessage, extra: string[] = []): Promise<{ code: number | null; json: Json }> {
  const file = path.join(dir, `${name.replace(/\W+/g, '-')}.msg`);
  writeFileSync(file, outlookMsg(m));
  const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json', ...extra]);
  return { code: r.code, json: JSON.parse(r.stdout) as Json };
}

const EXPOSED: Array<[string, OutlookMessage]> = [
  ['PR_DISPLAY_TO names the list, no rows', { ...base, displayTo: LIST.join('; '), recipients: [] }],
  ['PR_DISPLAY_CC names the list, no rows', { ...base, displayCc: LIST.join('; '), recipients: [] }],
  ['a colleague row, PR_DISPLAY_CC names the list', { ...base, displayTo: 'Bob Jones', displayCc: LIST.join('; '), recipients: [colleague] }],
  ['PR_DISPLAY_TO names the colleague and the list, one row', { ...base, displayTo: ['Bob Jones', ...LIST].join('; '), recipients: [colleague] }],
  ['display list separated without blanks', { ...base, displayTo: LIST.join(';'), recipients: [] }],
];

describe('an .msg whose display lists name people its table does not is read with them', () => {
  for (const [name, m] of EXPOSED) {
    it(name, async () => {
      const { code, json } = await check(name, m);
      expect(json.results.map((x) => x.verdict)).toEqual(['block']);
      expect(json.results[0]!.findings.map((f) => f.code)).toContain('EXPOSED_RECIPIENTS');
      expect(code).toBe(1);
    });
  }

  it('a display name the table does not hold fails closed (AMBIGUOUS_RECIPIENT)', async () => {
    const { code, json } = await check('display name', { ...base, displayTo: 'Bob Jones; Ann Smith', recipients: [colleague] });
    expect(json.results[0]!.findings.map((f) => f.code)).toContain('AMBIGUOUS_RECIPIENT');
    expect(code).toBe(1);
  });

  it('attached to a message, the item is read the same way (the body scan)', () => {
    const twelve = addresses(12, 'shown');
    const bytes = outlookMsg({ ...base, displayCc: twelve.join('; '), recipients: [colleague] });
    const r = checkAttachments([{ contentType: 'application/vnd.ms-outlook', fileName: 'Fwd offer.msg', bytes }]);
    expect(argsOf(r.findings, 'ADDRESS_LIST_IN_ATTACHMENT').map((x) => [x.messageText, x.externalAddresses])).toEqual([[true, 12]]);
  });
});

describe('display lists that name the table change nothing', () => {
  it.each([
    ['display names of the rows', { ...base, displayTo: 'Bob Jones', recipients: [colleague] }],
    ['the addresses of the rows', { ...base, displayTo: 'bob@corp.example', recipients: [colleague] }],
    ['two colleagues, names differing in case and blanks', { ...base, displayTo: 'bob jones ;  Carol', recipients: [colleague, { name: 'Carol', smtp: 'carol@corp.example', type: 'to' as const }] }],
    ['an empty display list', { ...base, displayTo: '', displayCc: '', recipients: [colleague] }],
    ['with a transport header naming the rows', { ...base, transportHeaders: header, displayTo: 'Bob Jones', recipients: [colleague] }],
  ] as Array<[string, OutlookMessage]>)('%s', async (name, m) => {
    const { code, json } = await check(`control ${name}`, m);
    expect(json.results.map((x) => x.verdict)).toEqual(['pass']);
    expect(code).toBe(0);
  });
});

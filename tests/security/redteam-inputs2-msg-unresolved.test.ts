// Red team, Outlook .msg: recipient rows that name no address. A row of the recipient table
// without PR_SMTP_ADDRESS and PR_EMAIL_ADDRESS (or with an empty one) is a name Outlook has not
// resolved yet: it shows it in the To or Cc well and resolves it when the item is sent. The
// header mailguard builds from the table left such rows out, so an item whose Cc rows were typed
// addresses passed with only the colleague in To (and with a transport header that named that
// colleague, the header was read instead of the table). Now such a row is written with its display
// name as its address: an address is checked as the address it is, a name fails closed
// (AMBIGUOUS_RECIPIENT), and a transport header does not stand in for a table holding one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { outlookMsg, type OutlookMessage } from '../helpers/outlook-msg.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-msg-unresolved-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = ['a1@alpha.example', 'b1@beta.example', 'c1@gamma.example', 'd1@delta.example', 'e1@epsilon.example'];
const base = { subject: 'offer', senderName: 'Alice', senderSmtp: 'alice@corp.example', body: 'hi' };
const colleague = { smtp: 'bob@corp.example', type: 'to' as const };
const header = 'From: alice@corp.example\r\nTo: bob@corp.example\r\nSubject: offer\r\n';
type Row = OutlookMessage['recipients'][number];
/** Unresolved rows: a display name (here the address typed) and nothing else. */
const unresolved = (type: Row['type']): Row[] => LIST.map((a) => ({ name: a, type }));

interface Json {
  results: Array<{ verdict: string; findings: Array<{ code: string }> }>;
}

async function check(name: string, m: OutlookMessage): Promise<{ code: number | null; json: Json }> {
  const file = path.join(dir, `${name.replace(/\W+/g, '-')}.msg`);
  writeFileSync(file, outlookMsg(m));
  const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
  return { code: r.code, json: JSON.parse(r.stdout) as Json };
}

const EXPOSED: Array<[string, OutlookMessage]> = [
  ['every To row unresolved, no transport header', { ...base, recipients: unresolved('to') }],
  ['a colleague in To, the Cc rows unresolved', { ...base, recipients: [colleague, ...unresolved('cc')] }],
  ['a transport header naming the colleague, the Cc rows unresolved', { ...base, transportHeaders: header, recipients: [colleague, ...unresolved('cc')] }],
  ['Cc rows with an empty PR_EMAIL_ADDRESS (SMTP type, no SMTP address)', { ...base, recipients: [colleague, ...LIST.map((a) => ({ name: a, email: '', addrType: 'SMTP', type: 'cc' as const }))] }],
  ['unresolved rows of a resend (type 0x10000001), read as To', { ...base, transportHeaders: header, recipients: [colleague, ...unresolved(0x10000001)] }],
];

describe('an .msg whose recipient rows name no address is not read without them', () => {
  for (const [name, m] of EXPOSED) {
    it(name, async () => {
      const { code, json } = await check(name, m);
      expect(code).toBe(1);
      expect(json.results.map((x) => x.verdict)).toEqual(['block']);
      expect(json.results[0]!.findings.map((f) => f.code)).toContain('EXPOSED_RECIPIENTS');
    });
  }

  it('an unresolved name that is not an address fails closed (AMBIGUOUS_RECIPIENT), with a transport header too', async () => {
    for (const transportHeaders of [undefined, header]) {
      const { code, json } = await check(`name ${transportHeaders ? 'with' : 'without'} header`, {
        ...base,
        ...(transportHeaders ? { transportHeaders } : {}),
        recipients: [colleague, { name: 'Ann Smith', type: 'cc' }],
      });
      expect(code).toBe(1);
      expect(json.results[0]!.findings.map((f) => f.code)).toContain('AMBIGUOUS_RECIPIENT');
    }
  });
});

describe('resolved rows are read as before', () => {
  it('colleagues with SMTP addresses pass, with and without a transport header naming them', async () => {
    for (const transportHeaders of [undefined, header]) {
      const { code, json } = await check(`colleagues ${transportHeaders ? 'with' : 'without'} header`, {
        ...base,
        ...(transportHeaders ? { transportHeaders } : {}),
        recipients: [colleague],
      });
      expect(code).toBe(0);
      expect(json.results.map((x) => x.verdict)).toEqual(['pass']);
    }
  });

  it('an Exchange entry (EX, an X.500 name) beside a transport header that names the SMTP rows still reads that header', async () => {
    const { code, json } = await check('exchange entry', {
      ...base,
      transportHeaders: header,
      recipients: [colleague, { name: 'Carol', email: '/O=CORP/OU=EXCHANGE ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=carol', addrType: 'EX', type: 'cc' }],
    });
    expect(code).toBe(0);
    expect(json.results.map((x) => x.verdict)).toEqual(['pass']);
  });

  it('an unresolved Bcc row does not make the header shown', async () => {
    const { json } = await check('unresolved bcc', { ...base, recipients: [colleague, ...unresolved('bcc')] });
    expect(json.results[0]!.findings.map((f) => f.code)).not.toContain('EXPOSED_RECIPIENTS');
  });
});

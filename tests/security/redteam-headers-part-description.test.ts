// Red team, MIME reading: a part's Content-Description. The message's own Content-Description is
// read as a shown header field (other-fields.ts: "free text some clients show beside the
// attachment"), but a part's was never read: only its names were. mutt and Alpine list every
// attachment with its description, so a list written there is shown to every reader; it passed
// the body scan as clean.
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { createPolicy } from '../../src/policy/policy.js';

const POLICY = createPolicy({ internalDomains: ['corp.example'], bodyScan: { minAddresses: 10, maxPartBytes: 1024 * 1024 } });
const PEOPLE = Array.from({ length: 12 }, (_, i) => `person${i}@org${i}.example`);
const LIST = PEOPLE.join(', ');

function withPart(partHeader: string[], eol: string, outer = 'multipart/mixed'): Buffer {
  return Buffer.from(
    [
      'From: me@corp.example',
      'To: boss@corp.example',
      'Subject: the file',
      'MIME-Version: 1.0',
      `Content-Type: ${outer}; boundary="b1"`,
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'Attached.',
      '--b1',
      ...partHeader,
      '',
      'AAAA',
      '--b1--',
      '',
    ].join(eol),
  );
}

function listed(bytes: Buffer): number {
  const f = checkMessage(bytes, POLICY).findings.find((x) => x.code === 'ADDRESS_LIST_IN_BODY');
  return f && 'externalAddresses' in f.args ? (f.args.externalAddresses as number) : 0;
}

describe("a part's Content-Description is read as shown text", () => {
  const descriptions: Array<[string, string[]]> = [
    ['plain', [`Content-Description: ${LIST}`]],
    ['folded over lines', [`Content-Description: ${PEOPLE.slice(0, 6).join(', ')},`, ` ${PEOPLE.slice(6).join(', ')}`]],
    ['an encoded word (base64)', [`Content-Description: =?utf-8?B?${Buffer.from(LIST).toString('base64')}?=`]],
    ['an encoded word (Q, "@" as =40)', [`Content-Description: =?utf-8?Q?${LIST.replace(/@/g, '=40').replace(/ /g, '_')}?=`]],
    ['lower-case field name', [`content-description: ${LIST}`]],
  ];
  for (const [eolName, eol] of [['CRLF', '\r\n'], ['LF', '\n']] as const) {
    it.each(descriptions)(`%s (${eolName}), on a PDF, an unnamed binary part and a text part`, (_name, lines) => {
      for (const head of [
        ['Content-Type: application/pdf; name="minutes.pdf"', 'Content-Transfer-Encoding: base64'],
        ['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64'],
        ['Content-Type: text/plain'],
      ]) {
        expect(listed(withPart([...head, ...lines], eol))).toBe(PEOPLE.length);
      }
    });
  }

  it('inside a forwarded message too', () => {
    const inner = ['From: me@corp.example', 'To: boss@corp.example', 'Subject: x', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b2"', '', '--b2', 'Content-Type: application/pdf', `Content-Description: ${LIST}`, '', 'AAAA', '--b2--', ''].join('\r\n');
    const bytes = Buffer.from(withPart(['Content-Type: message/rfc822'], '\r\n').toString('latin1').replace('AAAA', inner), 'latin1');
    expect(listed(bytes)).toBe(PEOPLE.length);
  });

  it('a description naming one contact stays clean', () => {
    const r = checkMessage(withPart(['Content-Type: application/pdf', 'Content-Description: minutes, questions to person0@org0.example'], '\r\n'), POLICY);
    expect(r.verdict).toBe('pass');
  });
});

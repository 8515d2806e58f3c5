// Red team, MIME reading: message/* parts other than message/rfc822 and message/global were
// neither read nor reported (attachmentFormat returned nothing for any message/ type), so a
// forwarded message sent as message/news (which Thunderbird renders like message/rfc822, its
// header shown) or a list in message/partial, message/delivery-status, message/global-headers or
// an unknown message/x-... part passed the body scan as clean, with no ATTACHMENT_NOT_SCANNED.
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { createPolicy } from '../../src/policy/policy.js';

const POLICY = createPolicy({ internalDomains: ['corp.example'], bodyScan: { minAddresses: 10, maxPartBytes: 1024 * 1024 } });
const PEOPLE = Array.from({ length: 12 }, (_, i) => `person${i}@org${i}.example`);

function inner(eol: string): string {
  return ['From: me@corp.example', `To: ${PEOPLE.join(', ')}`, 'Subject: the list', '', 'Hello all.', ''].join(eol);
}

/** A message to one internal recipient whose only part (or second part) is `type` holding `body`. */
function carrying(type: string, body: string, eol: string, multipart: boolean, extra: string[] = []): Buffer {
  const head = ['From: me@corp.example', 'To: boss@corp.example', 'Subject: fwd', 'MIME-Version: 1.0'];
  if (!multipart) return Buffer.from([...head, `Content-Type: ${type}`, ...extra, '', body].join(eol));
  const parts = [['Content-Type: text/plain', '', 'See below.'].join(eol), [`Content-Type: ${type}`, ...extra, '', body].join(eol)];
  return Buffer.from([...head, 'Content-Type: multipart/mixed; boundary="b1"', '', ...parts.map((p) => `--b1${eol}${p}`), '--b1--', ''].join(eol));
}

function bodyCodes(bytes: Buffer): string[] {
  return checkMessage(bytes, POLICY).findings.map((f) => f.code).filter((c) => c.startsWith('ADDRESS_LIST_IN') || c === 'ATTACHMENT_NOT_SCANNED');
}

function listed(bytes: Buffer): number {
  const f = checkMessage(bytes, POLICY).findings.find((x) => x.code === 'ADDRESS_LIST_IN_BODY' || x.code === 'ADDRESS_LIST_IN_ATTACHMENT');
  return f && 'externalAddresses' in f.args ? (f.args.externalAddresses as number) : 0;
}

const dsn = (eol: string) => ['Reporting-MTA: dns; mx.corp.example', '', ...PEOPLE.flatMap((p) => [`Final-Recipient: rfc822; ${p}`, 'Action: failed', 'Status: 5.0.0', ''])].join(eol);

describe('every message/* part is read: a forwarded message, or as application/octet-stream', () => {
  const cases: Array<[string, string, (eol: string) => string, string]> = [
    ['message/news (a forwarded message to Thunderbird)', 'message/news', inner, 'ADDRESS_LIST_IN_BODY'],
    ['message/partial, the whole message in one part', 'message/partial; id="p1@corp.example"; number=1; total=1', inner, 'ADDRESS_LIST_IN_ATTACHMENT'],
    ['an unknown message/x-forwarded', 'message/x-forwarded', inner, 'ADDRESS_LIST_IN_ATTACHMENT'],
    ['message/global-headers', 'message/global-headers', inner, 'ADDRESS_LIST_IN_ATTACHMENT'],
    ['message/delivery-status listing each recipient', 'message/delivery-status', dsn, 'ADDRESS_LIST_IN_ATTACHMENT'],
    ['message/external-body with the list in its phantom header', 'message/external-body; access-type=x-local', inner, 'ADDRESS_LIST_IN_ATTACHMENT'],
  ];
  for (const multipart of [false, true]) {
    for (const [eolName, eol] of [['CRLF', '\r\n'], ['LF', '\n']] as const) {
      it.each(cases)(`%s (${multipart ? 'a part of multipart/mixed' : 'the whole body'}, ${eolName})`, (_name, type, body, code) => {
        const bytes = carrying(type, body(eol), eol, multipart);
        expect(bodyCodes(bytes)).toContain(code);
        expect(listed(bytes)).toBe(PEOPLE.length);
      });
    }
  }

  it('message/news is read as a forwarded message: an encoded list in its header is decoded', () => {
    const encoded = `=?utf-8?B?${Buffer.from(PEOPLE.join(', ')).toString('base64')}?=`;
    const body = ['From: me@corp.example', `To: ${encoded}`, 'Subject: x', '', 'hi', ''].join('\r\n');
    expect(listed(carrying('message/news', body, '\r\n', false))).toBe(PEOPLE.length);
  });

  it('a base64 message/x-... part is decoded before it is read', () => {
    const bytes = carrying('message/x-forwarded', Buffer.from(inner('\r\n')).toString('base64'), '\r\n', true, ['Content-Transfer-Encoding: base64']);
    expect(listed(bytes)).toBe(PEOPLE.length);
  });

  it('one that is not text is reported as not scanned, never taken as clean', () => {
    const binary = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 255)).toString('base64');
    expect(bodyCodes(carrying('message/x-forwarded', binary, '\r\n', false, ['Content-Transfer-Encoding: base64']))).toEqual(['ATTACHMENT_NOT_SCANNED']);
  });

  it('an ordinary bounce and read receipt (one recipient) stay clean', () => {
    const bounce = carrying('message/delivery-status', ['Reporting-MTA: dns; mx.corp.example', '', 'Final-Recipient: rfc822; a@alpha.example', 'Action: failed', 'Status: 5.1.1', ''].join('\r\n'), '\r\n', true);
    expect(checkMessage(bounce, POLICY).verdict).toBe('pass');
    const mdn = carrying('message/disposition-notification', ['Reporting-UA: x', 'Final-Recipient: rfc822; a@alpha.example', 'Disposition: manual-action/MDN-sent-manually; displayed', ''].join('\r\n'), '\r\n', true);
    expect(checkMessage(mdn, POLICY).verdict).toBe('pass');
  });
});

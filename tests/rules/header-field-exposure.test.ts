// Recipient lists in header fields besides To and Cc count toward EXPOSED_RECIPIENTS ("check the
// bytes that will be sent"): Apparently-To is a visible recipient field like To. Each row: the
// header fields (From is corp.example's, the internal domain), the verdict, the finding codes and
// the fields EXPOSED_RECIPIENTS names.
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { headerRecipients } from '../../src/message/header-recipients.js';
import { MIN_FREE_TEXT_ADDRESSES } from '../../src/message/other-fields.js';
import { createPolicy } from '../../src/policy/policy.js';
import iconv from 'iconv-lite';

const POLICY = createPolicy({ internalDomains: ['corp.example'] });

/** `n` external addresses, each at its own organisation (`tag` keeps lists apart). */
const externals = (n: number, tag = 'p') => Array.from({ length: n }, (_, i) => `${tag}${i}@${tag}${i}-org.example`);
const list = (n: number, tag = 'p') => externals(n, tag).join(', ');
const internals = (n: number) => Array.from({ length: n }, (_, i) => `staff${i}@corp.example`).join(', ');
const msg = (fields: string, nl = '\r\n') => Buffer.from(`From: Sender <sender@corp.example>${nl}${fields.replace(/\r\n/g, nl)}${nl}Subject: s${nl}${nl}Hello.${nl}`, 'utf8');
const check = (fields: string) => checkMessage(msg(fields), POLICY, { source: 't' });
const exposureFields = (r: ReturnType<typeof check>): string[] => {
  const f = r.findings.find((x) => x.code === 'EXPOSED_RECIPIENTS');
  return f && f.code === 'EXPOSED_RECIPIENTS' ? f.args.fields : [];
};

type Row = [name: string, fields: string, verdict: string, codes: string[], exposedIn: string[]];

/** One row: the verdict, the finding codes in order, and the fields EXPOSED_RECIPIENTS names. */
function expectRow(...[, fields, verdict, codes, exposedIn]: Row): void {
  const r = check(fields);
  expect(r.verdict).toBe(verdict);
  expect(r.findings.map((f) => f.code)).toEqual(codes);
  expect(exposureFields(r)).toEqual(exposedIn);
}

describe('Apparently-To counts like To', () => {
  const ROWS: Row[] = [
    ['three organisations warn', `To: staff@corp.example\r\nApparently-To: ${list(3)}`, 'warn', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['five organisations block', `To: staff@corp.example\r\nApparently-To: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['without any To field', `Apparently-To: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['one field per recipient, as sendmail writes it', externals(5).map((a) => `Apparently-To: ${a}`).join('\r\n'), 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['field name in upper case', `TO: staff@corp.example\r\nAPPARENTLY-TO: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['field name in odd case', `apparently-TO: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['folded over several lines', `Apparently-To: ${externals(5).join(',\r\n  ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['group syntax', `To: staff@corp.example\r\nApparently-To: Customers: ${list(5)};`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['display names, encoded too', `Apparently-To: =?UTF-8?Q?Chlo=C3=A9?= <${externals(1)[0]}>, "Bob B" <${externals(2)[1]}>, ${externals(5).slice(2).join(', ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['parties across To and Apparently-To add up', `To: ${list(2, 'a')}\r\nApparently-To: ${list(3, 'b')}`, 'block', ['EXPOSED_RECIPIENTS'], ['to', 'apparently-to']],
    ['the same address in To and Apparently-To counts once', `To: ${list(2)}\r\nApparently-To: ${list(2)}`, 'pass', [], []],
    ['25 addresses of one organisation block by count', `Apparently-To: ${Array.from({ length: 25 }, (_, i) => `c${i}@one-org.example`).join(', ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['mixed: internal ones do not count', `Apparently-To: ${internals(10)}, ${list(2)}`, 'pass', [], []],
    ['only internal', `Apparently-To: ${internals(30)}`, 'pass', [], []],
    ['one external', `To: staff@corp.example\r\nApparently-To: ${list(1)}`, 'pass', [], []],
    ['an ambiguous Apparently-To is refused like To', `To: staff@corp.example\r\nApparently-To: a@x.example b@y.example`, 'block', ['AMBIGUOUS_RECIPIENT'], []],
    ['white space before the colon is ambiguous', `To: staff@corp.example\r\nApparently-To : ${list(1)}`, 'block', ['AMBIGUOUS_RECIPIENT'], []],
  ];
  it.each(ROWS)('%s', expectRow);

  it('its addresses are visible recipients, classified like To', () => {
    const r = check(`To: staff@corp.example\r\nApparently-To: ${externals(1)[0]}, boss@corp.example`);
    expect(r.recipients.visible.map((v) => `${v.field}:${v.address}:${v.internal ? 'internal' : 'external'}`)).toEqual([
      'to:staff@corp.example:internal',
      'apparently-to:p0@p0-org.example:external',
      'apparently-to:boss@corp.example:internal',
    ]);
  });

  it('LF line ends read the same', () => {
    const r = checkMessage(msg(`Apparently-To: ${externals(5).join(',\r\n ')}`, '\n'), POLICY);
    expect(r.verdict).toBe('block');
    expect(exposureFields(r)).toEqual(['apparently-to']);
  });
});

describe('headerRecipients (send, sendmail -t, the plugin) takes Apparently-To', () => {
  it.each([
    ['with To', `To: staff@corp.example\r\nApparently-To: a@x.example, b@y.example\r\nBcc: c@z.example`, ['staff@corp.example', 'a@x.example', 'b@y.example', 'c@z.example']],
    ['alone, one field each', 'Apparently-To: a@x.example\r\nApparently-To: b@y.example', ['a@x.example', 'b@y.example']],
    ['not when resent: the Resent-* fields decide', 'Resent-To: r@x.example\r\nApparently-To: a@x.example', ['r@x.example']],
  ])('%s', (_name, fields, expected) => {
    expect(headerRecipients(msg(fields))).toEqual(expected);
  });

  it('an ambiguous Apparently-To builds no envelope', () => {
    expect(() => headerRecipients(msg('To: a@x.example\r\nApparently-To: "open <b@y.example>'))).toThrow(/apparently-to/);
  });
});

// A list in any header field that is not an address field counts too, and the finding names the
// field. Trace and identifier fields (Received, DKIM-Signature, References ...) do not.
describe('a list in any other header field', () => {
  const q = (s: string) => `=?UTF-8?Q?${s.replace(/@/g, '=40').replace(/ /g, '_').replace(/,/g, '=2C')}?=`;
  const b = (s: string) => `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;
  const received = (a: string, i: number) => `Received: from relay${i}.example (relay${i}.example [192.0.2.${i}])\r\n\tby mx.corp.example with ESMTPS id <${i}AB@mx.corp.example>\r\n\tfor <${a}>; Mon, 2 Feb 2026 10:00:00 +0000`;
  // Prose: a pasted cc list with a remark after it is a list (see "a list ending in etc").
  const freeText = (n: number) => `yesterday ${externals(n).join(' and ')} were in the meeting (sorry for the noise)`;
  const ROWS: Row[] = [
    // Lists that read as address lists: from 2 addresses each counts, like To.
    ['X-Recipients, five organisations', `To: staff@corp.example\r\nX-Recipients: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['X-Recipients, three organisations warn', `To: staff@corp.example\r\nX-Recipients: ${list(3)}`, 'warn', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['X-Mailer-Recipients', `To: staff@corp.example\r\nX-Mailer-Recipients: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-mailer-recipients']],
    ['a custom X- field', `To: staff@corp.example\r\nX-Acme-Campaign-List: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-acme-campaign-list']],
    ['a field name with no X-', `To: staff@corp.example\r\nParticipants: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['participants']],
    ['Comments as an address list', `To: staff@corp.example\r\nComments: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['comments']],
    ['Keywords as an address list', `To: staff@corp.example\r\nKeywords: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['keywords']],
    ['Subject as an address list', `To: staff@corp.example\r\nSubject: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['Disposition-Notification-To with a list', `To: staff@corp.example\r\nDisposition-Notification-To: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['disposition-notification-to']],
    ['an unknown List- field is read', `To: staff@corp.example\r\nList-Members: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['list-members']],
    ['Content-Description is free text readers show', `To: staff@corp.example\r\nContent-Description: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['content-description']],
    ['25 addresses of one organisation block by count', `To: staff@corp.example\r\nX-Recipients: ${Array.from({ length: 25 }, (_, i) => `c${i}@one-org.example`).join(', ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['folded over several lines', `To: staff@corp.example\r\nX-Recipients: ${externals(5).join(',\r\n\t')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['group syntax', `To: staff@corp.example\r\nX-Recipients: Customers: ${list(5)};`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['display names and angle addresses', `To: staff@corp.example\r\nX-Recipients: ${externals(5).map((a, i) => `"Customer ${i}" <${a}>`).join(', ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['addresses in a quoted display name count too', `To: staff@corp.example\r\nX-Recipients: "${externals(3).join(', ')}" <${externals(5)[3]}>, ${externals(5)[4]}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['Outlook\'s semicolons between addresses', `To: staff@corp.example\r\nX-Recipients: ${externals(5).join('; ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['a whole list in one Q encoded word', `To: staff@corp.example\r\nX-Recipients: ${q(list(5))}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['a whole list in one B encoded word', `To: staff@corp.example\r\nComments: ${b(list(5))}`, 'block', ['EXPOSED_RECIPIENTS'], ['comments']],
    ['an encoded Subject holding a list after a label', `To: staff@corp.example\r\nSubject: ${b(`Invitation: ${list(5)}`)}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['a Subject "Re:" and a list (a group left open)', `To: staff@corp.example\r\nSubject: Re: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['an encoded Subject that is a list', `To: staff@corp.example\r\nSubject: ${b(list(5))}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['encoded display names in a list', `To: staff@corp.example\r\nX-Recipients: ${externals(5).map((a) => `=?UTF-8?Q?Chlo=C3=A9?= <${a}>`).join(', ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['raw UTF-8 display names', `To: staff@corp.example\r\nX-Recipients: ${externals(5).map((a) => `Jörg Müller <${a}>`).join(', ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['X-Bcc: a blind list in a field nobody strips', `To: staff@corp.example\r\nX-Bcc: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-bcc']],
    ['addresses in a comment of a list field', `To: staff@corp.example\r\nX-Recipients: staff@corp.example (${list(3)}), ${list(2, 'q')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['a UTF-7 encoded word', `To: staff@corp.example\r\nX-Recipients: =?utf-7?q?${list(5).replace(/@/g, '+AEA-').replace(/,/g, '+ACw-').replace(/ /g, '_')}?=`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['one address per field, the field repeated', `To: staff@corp.example\r\n${externals(5).map((a) => `X-Recipient: ${a}`).join('\r\n')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipient']],
    ['one encoded address per field, repeated', `To: staff@corp.example\r\n${externals(5).map((a) => `X-Recipient: ${q(a)}`).join('\r\n')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipient']],
    ['a second field of free text does not hide the list in the first', `To: staff@corp.example\r\nComments: ${list(5)}\r\nComments: see above, and ask ops@corp.example`, 'block', ['EXPOSED_RECIPIENTS'], ['comments']],
    ['numbered fields, one address each', `To: staff@corp.example\r\n${externals(5).map((a, i) => `X-Recipient-${i + 1}: ${a}`).join('\r\n')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipient-1']],
    ['numbered fields, number inside the name', `To: staff@corp.example\r\n${externals(5).map((a, i) => `X-Rcpt${i}-Address: <${a}>`).join('\r\n')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-rcpt0-address']],
    ['numbered fields past 9', `To: staff@corp.example\r\n${externals(12).map((a, i) => `X-To-${i}: ${a}`).join('\r\n')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-to-0']],
    ['numbered fields of different names do not join', `To: staff@corp.example\r\nX-Contact-1: ${list(1, 'a')}\r\nX-Owner-2: ${list(1, 'b')}\r\nX-Admin-3: ${list(1, 'c')}`, 'pass', [], []],
    ['one address in each of two differently named fields', `To: staff@corp.example\r\nX-Contact: ${list(1, 'a')}\r\nX-Owner: ${list(1, 'b')}`, 'pass', [], []],
    ['field name case does not matter', `To: staff@corp.example\r\nx-RECIPIENTS: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['LF-only line ends', `To: staff@corp.example\nX-Recipients: ${externals(5).join(',\n ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['the list split over two fields adds up', `To: staff@corp.example\r\nX-Recipients: ${list(2, 'a')}\r\nComments: ${list(3, 'b')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients', 'comments']],
    ['parties across To and an X- field add up', `To: ${list(2, 'a')}\r\nX-Recipients: ${list(3, 'b')}`, 'block', ['EXPOSED_RECIPIENTS'], ['to', 'x-recipients']],
    ['the Bcc list repeated in an X- field is shown', `To: staff@corp.example\r\nBcc: ${list(5)}\r\nX-Recipients: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS', 'BCC_HEADER_PRESENT'], ['x-recipients']],
    ['the To list repeated in an X- field counts once', `To: ${list(2)}\r\nX-Recipients: ${list(2)}`, 'pass', [], []],
    ['mixed internal and external: only the external count', `To: staff@corp.example\r\nX-Recipients: ${internals(20)}, ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['mixed, two externals: a pass', `To: staff@corp.example\r\nX-Recipients: ${internals(20)}, ${list(2)}`, 'pass', [], []],
    ['only internal', `To: staff@corp.example\r\nX-Recipients: ${internals(30)}`, 'pass', [], []],
    ['one external', `To: staff@corp.example\r\nX-Recipients: ${list(1)}`, 'pass', [], []],
    ['one external with an internal one', `To: staff@corp.example\r\nX-Sender: ${list(1)}, boss@corp.example`, 'pass', [], []],
    // A list with elements the strict parser refuses still shows the addresses around them.
    ['a list with a word among the addresses', `To: staff@corp.example\r\nX-Recipients: ${list(2, 'a')}, TBD, ${list(3, 'b')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['a list ending in "etc"', `To: staff@corp.example\r\nSubject: ${list(5)} etc`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['a list with an address the parser refuses counts it too', `To: staff@corp.example\r\nX-Recipients: ${list(4)}, Bad Name q@q-org.example`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['a list with an unclosed quote at its end', `To: staff@corp.example\r\nX-Recipients: ${list(4)}, "${externals(5)[4]}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['a pasted cc list with a remark after it', `To: staff@corp.example\r\nComments: cc: ${list(5)} and the others from yesterday's meeting`, 'block', ['EXPOSED_RECIPIENTS'], ['comments']],
    ['prose with commas around one clean address', `To: staff@corp.example\r\nComments: Hi ${externals(2)[0]}, ${externals(2)[1]}, please review`, 'pass', [], []],
    // Free text: counted only from MIN_FREE_TEXT_ADDRESSES (3) addresses; two externals in To make
    // the boundary show (2 + 2 organisations pass, 2 + 3 block).
    ['free text naming two people', `To: staff@corp.example\r\nComments: forwarded by ${externals(2)[0]} for ${externals(2)[1]}, see ticket 42`, 'pass', [], []],
    ['free text naming one too few', `To: ${list(2, 'a')}\r\nComments: ${freeText(MIN_FREE_TEXT_ADDRESSES - 1)}`, 'pass', [], []],
    ['free text naming just enough', `To: ${list(2, 'a')}\r\nComments: ${freeText(MIN_FREE_TEXT_ADDRESSES)}`, 'block', ['EXPOSED_RECIPIENTS'], ['to', 'comments']],
    ['free text naming three alone warns', `To: staff@corp.example\r\nComments: ${freeText(3)}`, 'warn', ['EXPOSED_RECIPIENTS'], ['comments']],
    // The shapes a pasted list takes besides an address list: all free text, all counted.
    ['bracketed addresses with slashes', `To: staff@corp.example\r\nX-Note: ${externals(5).map((a) => `[${a}]`).join(' / ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-note']],
    ['single-quoted addresses', `To: staff@corp.example\r\nKeywords: ${externals(5).map((a) => `'${a}'`).join(', ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['keywords']],
    ['a numbered list', `To: staff@corp.example\r\nSubject: ${externals(5).map((a, i) => `${i + 1}. ${a}`).join(' ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['mailto: URIs with bars', `To: staff@corp.example\r\nX-Note: ${externals(5).map((a) => `mailto:${a}`).join(' | ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-note']],
    ['addresses joined by "and"', `To: staff@corp.example\r\nComments: ${externals(5).join(' and ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['comments']],
    ['names and angle addresses joined by "and"', `To: staff@corp.example\r\nSubject: ${externals(5).map((a, i) => `Name ${i} <${a}>`).join(' and ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['a sentence naming three, each at its own organisation', `To: staff@corp.example\r\nSubject: Intro: ${externals(3)[0]} meets ${externals(3)[1]} and ${externals(3)[2]}`, 'warn', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['free text in a custom field, folded', `To: staff@corp.example\r\nX-Note: ${freeText(12).replace(/ and /g, ' and\r\n ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-note']],
    ['free text naming twelve, encoded', `To: staff@corp.example\r\nX-Note: ${b(freeText(12))}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-note']],
    ['a Subject that mentions two addresses', `To: staff@corp.example\r\nSubject: Re: question from ${externals(2)[0]} to ${externals(2)[1]}`, 'pass', [], []],
    // Trace and identifier fields with many addresses in their own shapes: not shown as a list.
    ['Received chain "for <a@b>" lines', `To: staff@corp.example\r\n${externals(30).map(received).join('\r\n')}`, 'pass', [], []],
    ['X-Received', `To: staff@corp.example\r\nX-Received: by 2002:a05::1 with SMTP id x for ${list(12)}`, 'pass', [], []],
    ['References with message-ids', `To: staff@corp.example\r\nReferences: ${externals(30).map((a) => `<${a}>`).join('\r\n ')}`, 'pass', [], []],
    ['In-Reply-To', `To: staff@corp.example\r\nIn-Reply-To: ${externals(12).map((a) => `<${a}>`).join(' ')}`, 'pass', [], []],
    // Each names one address of the copy's envelope, once per hop.
    ['X-Original-Message-ID', `To: staff@corp.example\r\nX-Original-Message-ID: <${externals(1)[0]}>`, 'pass', [], []],
    ['Delivered-To on each hop', `To: staff@corp.example\r\n${externals(12).map((a) => `Delivered-To: ${a}`).join('\r\n')}`, 'pass', [], []],
    ['X-Original-To', `To: staff@corp.example\r\nX-Original-To: ${externals(1)[0]}`, 'pass', [], []],
    ['Envelope-To', `To: staff@corp.example\r\nEnvelope-To: ${externals(1)[0]}`, 'pass', [], []],
    ['X-Forwarded-To', `To: staff@corp.example\r\nX-Forwarded-To: ${externals(1)[0]}`, 'pass', [], []],
    ['Return-Path', `To: staff@corp.example\r\nReturn-Path: <${externals(1)[0]}>`, 'pass', [], []],
    // A clean address list is none of these: a sender wrote it, and every reader's all-headers view
    // shows it (listDespiteName in src/message/other-fields.ts).
    ['a list in X-Original-Message-ID', `To: staff@corp.example\r\nX-Original-Message-ID: ${list(12)}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-original-message-id']],
    ['a list in Delivered-To', `To: staff@corp.example\r\nDelivered-To: ${list(12)}`, 'block', ['EXPOSED_RECIPIENTS'], ['delivered-to']],
    ['a list in X-Original-To', `To: staff@corp.example\r\nX-Original-To: ${list(12)}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-original-to']],
    ['a list in Envelope-To', `To: staff@corp.example\r\nEnvelope-To: ${list(12)}`, 'block', ['EXPOSED_RECIPIENTS'], ['envelope-to']],
    ['a list in X-Forwarded-To', `To: staff@corp.example\r\nX-Forwarded-To: ${list(12)}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-forwarded-to']],
    ['a list in Return-Path', `To: staff@corp.example\r\nReturn-Path: ${list(12)}`, 'block', ['EXPOSED_RECIPIENTS'], ['return-path']],
    ['a bounce\'s X-Failed-Recipients', `To: staff@corp.example\r\nX-Failed-Recipients: ${list(12)}`, 'pass', [], []],
    ['DKIM-Signature', `To: staff@corp.example\r\nDKIM-Signature: v=1; a=rsa-sha256; d=corp.example; i=${externals(1)[0]}; z=To:${externals(12).join('|')}; b=abc`, 'pass', [], []],
    ['ARC-Authentication-Results', `To: staff@corp.example\r\nARC-Authentication-Results: i=1; mx.example; ${externals(12).map((a) => `smtp.mailfrom=${a}`).join('; ')}`, 'pass', [], []],
    ['X-Spamd-Result (rspamd symbols quote addresses)', `To: staff@corp.example\r\nX-Spamd-Result: default: False [-1.31 / 15.00];\r\n\t${externals(5).map((a) => `FORWARDED(0.00)[${a}]`).join(';\r\n\t')}`, 'pass', [], []],
    ['X-Spam-Report', `To: staff@corp.example\r\nX-Spam-Report: * 0.5 quoted: ${list(5)}`, 'pass', [], []],
    ['Authentication-Results', `To: staff@corp.example\r\nAuthentication-Results: mx.example; ${externals(12).map((a) => `header.i=${a}`).join('; ')}`, 'pass', [], []],
    ['List-Unsubscribe', `To: staff@corp.example\r\nList-Unsubscribe: ${externals(12).map((a) => `<mailto:${a}>`).join(', ')}`, 'pass', [], []],
    ['Content-Type parameters', `To: staff@corp.example\r\nContent-Type: text/plain; name="${externals(12).join(',')}"`, 'pass', [], []],
    ['X-Loop once per list hop', `To: staff@corp.example\r\n${externals(12).map((a) => `X-Loop: ${a}`).join('\r\n')}`, 'pass', [], []],
    ['an excluded field in upper case', `To: staff@corp.example\r\nDELIVERED-TO: ${externals(1)[0]}\r\nDKIM-SIGNATURE: v=1; d=corp.example; i=${externals(1)[0]}; z=To:${externals(12).join('|')}; b=abc`, 'pass', [], []],
  ];
  it.each(ROWS)('%s', expectRow);

  // Addresses one after another without commas read as a list (from 2 addresses), however they are
  // separated; whether a field holds identifiers is known from its name only (References,
  // X-Original-Message-ID ...), so msg-id syntax under any other name counts like addresses.
  const angles = (n: number, sep = ' ', tag = 'p') => externals(n, tag).map((a) => `<${a}>`).join(sep);
  const SEQUENCES: Row[] = [
    ['angle addresses separated by spaces', `To: staff@corp.example\r\nX-Recipients: ${angles(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['three angle addresses warn', `To: staff@corp.example\r\nX-Recipients: ${angles(3)}`, 'warn', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['angle addresses with nothing between them', `To: staff@corp.example\r\nX-Recipients: ${angles(5, '')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['angle addresses separated by tabs', `To: staff@corp.example\r\nX-Recipients: ${angles(5, '\t')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['angle addresses folded over lines', `To: staff@corp.example\r\nX-Recipients: ${angles(5, '\r\n ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['angle addresses with semicolons', `To: staff@corp.example\r\nX-Recipients: ${angles(5, '; ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['angle addresses, commas in some places only', `To: staff@corp.example\r\nX-Recipients: ${angles(2, ', ', 'a')} ${angles(3, ' ', 'b')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['display names before angle addresses, no commas', `To: staff@corp.example\r\nX-Recipients: ${externals(5).map((a, i) => `Customer ${i} <${a}>`).join(' ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['quoted display names, no commas', `To: staff@corp.example\r\nX-Recipients: ${externals(5).map((a, i) => `"Doe, J${i}" <${a}>`).join(' ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['comments between angle addresses', `To: staff@corp.example\r\nX-Recipients: ${angles(5, ' (next) ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['bare addresses separated by spaces', `To: staff@corp.example\r\nX-Recipients: ${externals(5).join(' ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['bare addresses folded, no separators', `To: staff@corp.example\r\nX-Recipients: ${externals(5).join('\r\n\t')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['bare addresses with semicolons and no spaces', `To: staff@corp.example\r\nX-Recipients: ${externals(5).join(';')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['bare and angle addresses mixed', `To: staff@corp.example\r\nX-Recipients: ${externals(3, 'a').join(' ')} ${angles(2, ' ', 'b')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['a Subject of angle addresses', `To: staff@corp.example\r\nSubject: ${angles(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['a Subject "Re:" and bare addresses', `To: staff@corp.example\r\nSubject: Re: ${externals(5).join(' ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['angle addresses in an encoded word', `To: staff@corp.example\r\nX-Recipients: ${b(angles(5))}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['encoded display names, no commas', `To: staff@corp.example\r\nX-Recipients: ${externals(5).map((a) => `=?UTF-8?Q?Chlo=C3=A9?= <${a}>`).join(' ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['one angle address per field, the field repeated', `To: staff@corp.example\r\n${externals(5).map((a) => `X-Recipient: <${a}>`).join('\r\n')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipient']],
    ['msg-id syntax per field under an unknown name', `To: staff@corp.example\r\n${externals(12).map((a) => `X-Parent-Id: <${a}>`).join('\r\n')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-parent-id']],
    ['msg-id syntax in one field under an unknown name', `To: staff@corp.example\r\nX-Thread-Parents: ${angles(12)}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-thread-parents']],
    ['two angle addresses of two organisations are counted', `To: ${list(3, 'a')}\r\nX-Recipients: ${angles(2, ' ', 'b')}`, 'block', ['EXPOSED_RECIPIENTS'], ['to', 'x-recipients']],
    ['a list inside one quoted string', `To: staff@corp.example\r\nX-Recipients: "${list(5)}"`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['a list inside one comment', `To: staff@corp.example\r\nX-Recipients: (${list(5)})`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['a Subject that is a quoted list, no commas', `To: staff@corp.example\r\nSubject: "${externals(5).join(' ')}"`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['quoted angle addresses', `To: staff@corp.example\r\nX-Recipients: ${externals(5).map((a) => `"<${a}>"`).join(' ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['prose inside a comment stays free text', `To: ${list(2, 'a')}\r\nX-Note: (ask ${externals(2).join(' or ')})`, 'pass', [], []],
    ['one angle address', `To: staff@corp.example\r\nX-Recipients: ${angles(1)}`, 'pass', [], []],
    ['only internal angle addresses', `To: staff@corp.example\r\nX-Recipients: ${Array.from({ length: 12 }, (_, i) => `<s${i}@corp.example>`).join(' ')}`, 'pass', [], []],
    // Prose that names people stays free text (10 addresses before it counts).
    // Two addresses in prose stay free text (under 3): two externals in To make it show.
    ['prose between two bare addresses', `To: ${list(2, 'a')}\r\nX-Note: ${externals(2).join(' and ')}`, 'pass', [], []],
    ['words before two bare addresses', `To: ${list(2, 'a')}\r\nX-Note: ask ${externals(2).join(' ')}`, 'pass', [], []],
    ['words after two angle addresses', `To: ${list(2, 'a')}\r\nX-Note: ${angles(2)} and others`, 'pass', [], []],
    ['two angle addresses and an unclosed bracket', `To: ${list(2, 'a')}\r\nX-Note: ${angles(2)} <`, 'pass', [], []],
    ['two angle addresses, no commas, are a list', `To: ${list(2, 'a')}\r\nX-Note: ${angles(2)}`, 'warn', ['EXPOSED_RECIPIENTS'], ['to', 'x-note']],
    // Identifier fields by name, whatever they hold.
    ['References', `To: staff@corp.example\r\nReferences: ${angles(12)}`, 'pass', [], []],
    ['X-Original-Message-ID repeated', `To: staff@corp.example\r\n${externals(12).map((a) => `X-Original-Message-ID: <${a}>`).join('\r\n')}`, 'pass', [], []],
    ['Content-ID', `To: staff@corp.example\r\nContent-ID: ${angles(12)}`, 'pass', [], []],
  ];
  it.each(SEQUENCES)('a sequence without commas: %s', expectRow);

  // Encoded words whose "@" is split between two words: no word alone decodes to one, but libmime
  // (mailparser) and mailguard's decoder join adjacent words before decoding, and show the list.
  /** `text` as base64 encoded words cut inside each "@", so that no word alone holds the byte. */
  const straddledB = (text: string, charset = 'UTF-8') => {
    const bytes = Buffer.from(text);
    const b64 = bytes.toString('base64');
    const cuts = [...bytes.keys()].filter((p) => bytes[p] === 0x40).map((p) => Math.floor((8 * p + 7) / 6));
    const words = [0, ...cuts].map((from, i) => b64.slice(from, cuts[i] ?? b64.length));
    expect(words.some((w) => Buffer.from(w, 'base64').includes(0x40))).toBe(false);
    return words.map((w) => `=?${charset}?B?${w}?=`);
  };
  /** `text` as Q encoded words cut inside each `=40`. */
  const straddledQ = (text: string) => text.replace(/ /g, '_').replace(/,/g, '=2C').split('@').map((w, i, all) => `=?UTF-8?Q?${i > 0 ? '0' : ''}${w}${i < all.length - 1 ? '=4' : ''}?=`);
  const SPLIT_WORDS: Row[] = [
    ['a Subject in base64 words, each "@" cut in two', `To: staff@corp.example\r\nSubject: ${straddledB(list(5)).join('\r\n ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['an X- field in base64 words, each "@" cut in two', `To: staff@corp.example\r\nX-Recipients: ${straddledB(list(5)).join(' ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['ISO-8859-1 base64 words, each "@" cut in two', `To: staff@corp.example\r\nComments: ${straddledB(list(5), 'ISO-8859-1').join(' ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['comments']],
    ['a free-text note in base64 words, each "@" cut in two', `To: staff@corp.example\r\nX-Note: ${straddledB(`see ${externals(12).join(' and ')}`).join(' ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-note']],
    ['Q words, each "=40" cut in two', `To: staff@corp.example\r\nSubject: ${straddledQ(list(5)).join(' ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['one address per field, its "@" cut between two words', `To: staff@corp.example\r\n${externals(5).map((a) => `X-Recipient: ${straddledB(a).join(' ')}`).join('\r\n')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipient']],
    ['an encoded word in an unknown charset is decoded to look', `To: staff@corp.example\r\nSubject: =?x-unknown?Q?${list(5).replace(/@/g, '=40').replace(/ /g, '_')}?=`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    // White space inside an encoded word: libmime (mailparser) and Thunderbird decode it all the same.
    ['a Q word with spaces inside', `To: staff@corp.example\r\nSubject: =?utf-8?Q?${list(5).replace(/@/g, '=40')}?=`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['a Q word with spaces inside, in an unknown field', `To: staff@corp.example\r\nX-Note: =?iso-8859-1?q?${list(5).replace(/@/g, '=40')}?=`, 'block', ['EXPOSED_RECIPIENTS'], ['x-note']],
    ['a base64 word with spaces inside', `To: staff@corp.example\r\nSubject: =?utf-8?B?${Buffer.from(list(5)).toString('base64').replace(/(.{8})/g, '$1 ')}?=`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['an ISO-8859-1 Subject with no "@" at all', `To: staff@corp.example\r\nSubject: =?ISO-8859-1?B?${Buffer.from('Grüße aus Köln, ein Überblick', 'latin1').toString('base64')}?= =?ISO-8859-1?Q?M=FCnchen?=`, 'pass', [], []],
  ];
  it.each(SPLIT_WORDS)('encoded words: %s', expectRow);

  // A fullwidth (U+FF20) or small (U+FE6B) commercial at reads as "@" to everyone.
  const COMPAT: Row[] = [
    ['an X- list with fullwidth ats', `To: staff@corp.example\r\nX-Recipients: ${list(5).replace(/@/g, '\uFF20')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['a Subject list with small ats, encoded', `To: staff@corp.example\r\nSubject: =?UTF-8?B?${Buffer.from(list(5).replace(/@/g, '\uFE6B')).toString('base64')}?=`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['one fullwidth address per field', `To: staff@corp.example\r\n${externals(5).map((a) => `X-Recipient: ${a.replace('@', '\uFF20')}`).join('\r\n')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipient']],
    ['one fullwidth contact', `To: staff@corp.example\r\nX-Contact: ${externals(1)[0]!.replace('@', '\uFF20')}`, 'pass', [], []],
  ];
  it.each(COMPAT)('compatibility ats: %s', expectRow);

  // East Asian charsets write "@" as 0x40 but a fullwidth at as two other bytes (Shift_JIS 0x81 0x97,
  // ISO-2022-JP "!w" after ESC $ B, Big5 0xA2 0x49, GB18030 and EUC-KR 0xA3 0xC0).
  const fullwidth = (text: string) => text.replace(/@/g, '\uFF20');
  const bWord = (charset: string, bytes: Buffer) => `=?${charset}?B?${bytes.toString('base64')}?=`;
  const qWord = (charset: string, bytes: Buffer) => `=?${charset}?Q?${[...bytes].map((c) => (/[A-Za-z0-9]/.test(String.fromCharCode(c)) ? String.fromCharCode(c) : `=${c.toString(16).toUpperCase().padStart(2, '0')}`)).join('')}?=`;
  const jis = (text: string) => Buffer.from(text.replace(/\uFF20/g, '\x1b$B!w\x1b(B'), 'latin1');
  const sjisList = iconv.encode(fullwidth(list(5)), 'Shift_JIS');
  const EAST_ASIAN: Row[] = [
    ['a Subject in Shift_JIS base64', `To: staff@corp.example\r\nSubject: ${bWord('Shift_JIS', sjisList)}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['a Subject in ISO-2022-JP base64', `To: staff@corp.example\r\nSubject: ${bWord('ISO-2022-JP', jis(fullwidth(list(5))))}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['an X- field in Big5 Q', `To: staff@corp.example\r\nX-Recipients: ${qWord('Big5', iconv.encode(fullwidth(list(5)), 'Big5'))}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['Comments in GB18030 and EUC-KR', `To: staff@corp.example\r\nComments: ${bWord('GB18030', iconv.encode(fullwidth(list(3)), 'GB18030'))}\r\nComments: ${bWord('EUC-KR', iconv.encode(fullwidth(list(3, 'k')), 'EUC-KR'))}`, 'block', ['EXPOSED_RECIPIENTS'], ['comments']],
    ['a Shift_JIS at cut between two base64 words', `To: staff@corp.example\r\nSubject: ${bWord('Shift_JIS', sjisList.subarray(0, sjisList.indexOf(0x97)))} ${bWord('Shift_JIS', sjisList.subarray(sjisList.indexOf(0x97)))}`, 'block', ['EXPOSED_RECIPIENTS'], ['subject']],
    ['a Japanese Subject naming no one', `To: staff@corp.example\r\nSubject: ${bWord('ISO-2022-JP', Buffer.from('\x1b$B2q5D\x1b(B', 'latin1'))}`, 'pass', [], []],
  ];
  it.each(EAST_ASIAN)('compatibility ats in East Asian charsets: %s', expectRow);

  // The same bytes unencoded (no encoded word): Thunderbird and Outlook read raw 8-bit header text
  // in the fallback charset of a Japanese, Chinese or Korean locale, and show the list.
  const rawMsg = (field: string, value: Buffer) => Buffer.concat([Buffer.from(`From: Sender <sender@corp.example>\r\nTo: staff@corp.example\r\n${field}`, 'latin1'), value, Buffer.from('\r\nSubject: s\r\n\r\nHello.\r\n')]);
  it.each([
    ['Shift_JIS', 'Subject: ', 'subject'],
    ['EUC-JP', 'X-Recipients: ', 'x-recipients'],
    ['Big5', 'Comments: ', 'comments'],
    ['GB18030', 'Subject: ', 'subject'],
    ['EUC-KR', 'X-Recipients: ', 'x-recipients'],
  ])('raw %s bytes in %s(no encoded word): the list is shown', (charset, field, key) => {
    const value = iconv.encode(`名簿 ${fullwidth(list(5))}`, charset);
    expect(value.includes(0x40)).toBe(false);
    const r = checkMessage(rawMsg(field, value), POLICY, { source: 't' });
    expect(r.verdict).toBe('block');
    expect(r.recipients.shown.filter((v) => v.field === key)).toHaveLength(5);
  });

  // ISO-2022-JP is 7-bit: its fullwidth at is "!w" after ESC $ B. Thunderbird reads a raw header
  // holding ESC in the fallback charset when that is ISO-2022-JP (its Japanese default:
  // Is7bitNonAsciiString, CopyRawHeader in nsMIMEHeaderParamImpl.cpp) and shows the list.
  it.each([
    ['Subject: ', 'subject'],
    ['X-Recipients: ', 'x-recipients'],
    ['Comments: ', 'comments'],
  ])('raw ISO-2022-JP in %s(no encoded word): the list is shown', (field, key) => {
    const value = Buffer.concat([Buffer.from('\x1b$BL>Jm\x1b(B ', 'latin1'), jis(fullwidth(list(5)))]);
    expect(value.includes(0x40)).toBe(false);
    const r = checkMessage(rawMsg(field, value), POLICY, { source: 't' });
    expect(r.verdict).toBe('block');
    expect(r.recipients.shown.filter((v) => v.field === key)).toHaveLength(5);
  });

  it('raw ISO-2022-JP naming no one, and "!w" outside its two-byte text, show no list', () => {
    const r = checkMessage(rawMsg('Subject: ', Buffer.from(`\x1b$B2q5D\x1b(B ${list(2).replace(/@/g, '!w')}`, 'latin1')), POLICY, { source: 't' });
    expect(r.verdict).toBe('pass');
    expect(r.recipients.shown).toEqual([]);
  });

  it('raw Shift_JIS in a display name: the addresses it writes are shown', () => {
    const name = iconv.encode(fullwidth(list(5)), 'Shift_JIS');
    const bytes = Buffer.concat([Buffer.from('From: Sender <sender@corp.example>\r\nTo: staff@corp.example\r\nCc: "', 'latin1'), name, Buffer.from('" <news@corp.example>\r\nSubject: s\r\n\r\nHello.\r\n')]);
    const r = checkMessage(bytes, POLICY, { source: 't' });
    expect(r.verdict).toBe('block');
    expect(r.recipients.shown.filter((v) => v.field === 'cc')).toHaveLength(5);
  });

  it('raw UTF-8 text with the same byte pairs is read once, as UTF-8', () => {
    // U+1057 is E1 81 97 in UTF-8: the Shift_JIS at's bytes, inside valid UTF-8; no list there.
    const r = checkMessage(rawMsg('Subject: ', Buffer.from(`\u1057 ${list(2).replace(/@/g, ' at ')}`, 'utf8')), POLICY, { source: 't' });
    expect(r.verdict).toBe('pass');
    expect(r.recipients.shown).toEqual([]);
  });

  it('the addresses are shown, not sent to, under the field that holds them', () => {
    const r = check(`To: staff@corp.example\r\nX-Recipients: ${externals(2)[0]}, boss@corp.example, ${externals(2)[1]}`);
    expect(r.recipients.shown.map((v) => `${v.field}:${v.address}:${v.internal ? 'internal' : 'external'}`)).toEqual([
      'x-recipients:p0@p0-org.example:external',
      'x-recipients:boss@corp.example:internal',
      'x-recipients:p1@p1-org.example:external',
    ]);
    expect(headerRecipients(msg(`To: staff@corp.example\r\nX-Recipients: ${list(2)}`))).toEqual(['staff@corp.example']);
  });

  it('the finding line is the field\'s', () => {
    const r = check(`To: staff@corp.example\r\nX-Recipients: ${list(5)}`);
    expect(r.findings[0]!.line).toBe(3);
  });
});

// A domain the strict reading refuses as a recipient (AMBIGUOUS_RECIPIENT in To) is still an
// address to whoever reads a display name, a comment or another field: counted as IDNA maps it.
describe('addresses at domains refused as recipients, written where they are only shown', () => {
  const forms: Array<[string, (i: number) => string]> = [
    ['upper-case non-ASCII letters', (i) => `c${i}@BÜCHER${i}.example`],
    ['fullwidth letters after an ASCII at', (i) => `c${i}@ｏｒｇ${i}.example`],
    ['a fullwidth full stop', (i) => `c${i}@org${i}\uFF0Eexample`],
    ['a soft hyphen', (i) => `c${i}@or\u00ADg${i}.example`],
    ['a zero-width joiner', (i) => `c${i}@or\u200Dg${i}.example`],
    ['a decomposed letter', (i) => `c${i}@bu\u0308cher${i}.example`],
    ['a Cyrillic o among Latin letters', (i) => `c${i}@\u043Erg${i}.example`],
  ];
  const five = (form: (i: number) => string) => [0, 1, 2, 3, 4].map(form).join(', ');
  it.each(forms)('%s: a list in a display name, a comment, X-Recipients or the Subject blocks', (_name, form) => {
    for (const [fields, field] of [
      [`To: "${five(form)}" <staff@corp.example>`, 'to'],
      [`To: staff@corp.example (${five(form)})`, 'to'],
      [`To: staff@corp.example\r\nX-Recipients: ${five(form)}`, 'x-recipients'],
      [`To: staff@corp.example\r\nSubject: ${five(form)}`, 'subject'],
    ] as const) {
      const r = check(fields);
      expect([r.verdict, r.findings.map((f) => f.code), exposureFields(r), r.recipients.shown.length]).toEqual(['block', ['EXPOSED_RECIPIENTS'], [field], 5]);
    }
  });

  it('the same addresses in To itself are ambiguous, and the five it shows are counted', () => {
    for (const [, form] of forms) {
      const r = check(`To: ${five(form)}`);
      expect([r.verdict, [...new Set(r.findings.map((f) => f.code))], r.recipients.shown.length]).toEqual(['block', ['AMBIGUOUS_RECIPIENT', 'EXPOSED_RECIPIENTS'], 5]);
    }
  });
});

// A list in angle brackets in a field that is not an identifier is counted like any list; the
// same brackets in identifier and trace fields are not. And a resent message's readers see its
// To and Cc and every Resent-To and Resent-Cc: exposure counts the distinct external addresses
// and organisations of all of them together, so a list split between them cannot slip under the
// thresholds. (Both held before these rows were written; they pin the shapes a split could take.)
describe('angle-bracket lists in other fields, and lists split across resent blocks', () => {
  const angles = (n: number, sep = ' ', tag = 'p') => externals(n, tag).map((a) => `<${a}>`).join(sep);
  const resent = (fields: string) => `Resent-From: desk@corp.example\r\nResent-Date: Mon, 7 Dec 2026 08:00:00 +0000\r\n${fields}`;
  const ROWS: Row[] = [
    ['X-List, spaces', `To: staff@corp.example\r\nX-List: ${angles(6)}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-list']],
    ['X-List, commas', `To: staff@corp.example\r\nX-List: ${angles(6, ', ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-list']],
    ['X-List, commas and folded', `To: staff@corp.example\r\nX-List: ${angles(6, ',\r\n\t')}`, 'block', ['EXPOSED_RECIPIENTS'], ['x-list']],
    ['X-List of three warns', `To: staff@corp.example\r\nX-List: ${angles(3)}`, 'warn', ['EXPOSED_RECIPIENTS'], ['x-list']],
    ['X-List added to To: 3 and 2 organisations block', `To: ${list(3, 'a')}\r\nX-List: ${angles(2, ' ', 'b')}`, 'block', ['EXPOSED_RECIPIENTS'], ['to', 'x-list']],
    ['Resent-Message-ID holds identifiers', `To: staff@corp.example\r\nResent-Message-ID: ${angles(12)}`, 'pass', [], []],
    ['Received "for" in angle brackets', `To: staff@corp.example\r\nReceived: from a.example by mx.corp.example for ${angles(12)}; Mon, 7 Dec 2026 08:00:00 +0000`, 'pass', [], []],
    ['To 3 and Resent-Cc 3 other organisations block', `To: ${list(3, 'a')}\r\n${resent(`Resent-Cc: ${list(3, 'b')}`)}`, 'block', ['EXPOSED_RECIPIENTS'], ['to', 'resent-cc']],
    ['Cc 2 and Resent-To 1 other organisation warn', `To: staff@corp.example\r\nCc: ${list(2, 'a')}\r\n${resent(`Resent-To: ${list(1, 'b')}`)}`, 'warn', ['EXPOSED_RECIPIENTS'], ['cc', 'resent-to']],
    ['three resent blocks of 2 each block', `To: staff@corp.example\r\n${resent(`Resent-To: ${list(2, 'a')}`)}\r\n${resent(`Resent-Cc: ${list(2, 'b')}`)}\r\n${resent(`Resent-To: ${list(2, 'c')}`)}`, 'block', ['EXPOSED_RECIPIENTS'], ['resent-to', 'resent-cc']],
    ['the same addresses in To and Resent-Cc count once', `To: ${list(2)}\r\n${resent(`Resent-Cc: ${list(2)}`)}`, 'pass', [], []],
    [
      '13 + 13 addresses of one organisation in To and Resent-Cc reach 25',
      `To: ${Array.from({ length: 13 }, (_, i) => `a${i}@partner.example`).join(', ')}\r\n${resent(`Resent-Cc: ${Array.from({ length: 13 }, (_, i) => `b${i}@partner.example`).join(', ')}`)}`,
      'block',
      ['EXPOSED_RECIPIENTS'],
      ['to', 'resent-cc'],
    ],
  ];
  it.each(ROWS)('%s', expectRow);
});

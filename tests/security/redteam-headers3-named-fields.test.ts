// Red team, header reading: a list of people in a field whose name says it is trace, a verdict, a
// signature or an identifier. other-fields.ts skipped such fields by name, and by patterns
// (`arc-*`, `*-received`, `*authentication-results`, `*dkim-signature`, `*-message-id`) that take
// any name a sender writes: `ARC-Recipients: a@x, b@y, ...` or `X-Original-To: <list>` showed the
// list in every reader's all-headers view and source (Thunderbird's View > Headers > All, Gmail's
// "Show original") and passed as clean. Real fields of those kinds never read as a clean address
// list; the controls below are their real shapes.
import { describe, expect, it } from 'vitest';
import { decideDelivery } from '../../src/decide/index.js';
import { runCli } from '../helpers/cli.js';
import { check, codes, CORP, message } from './support.js';

const PEOPLE = ['a@alpha.example', 'b@beta.example', 'c@gamma.example', 'd@delta.example', 'e@epsilon.example'];
const LIST = PEOPLE.join(', ');
const NAMED = PEOPLE.map((p, i) => `Person ${i} <${p}>`).join(', ');

function withHeader(lines: string[], eol = '\r\n'): string {
  return message(['From: me@corp.example', 'To: me@corp.example', 'Subject: notes', 'Date: Mon, 7 Dec 2026 10:00:00 +0000', ...lines], eol);
}

describe('a list in a field named like a skipped kind is read', () => {
  it.each([
    ['ARC-Recipients (the arc- prefix)', `ARC-Recipients: ${LIST}`],
    ['ARC-Foo with names', `ARC-Foo: ${NAMED}`],
    ['X-Team-Received (the -received suffix)', `X-Team-Received: ${LIST}`],
    ['X-Attendees-DKIM-Signature', `X-Attendees-DKIM-Signature: ${LIST}`],
    ['X-Recipients-Authentication-Results', `X-Recipients-Authentication-Results: ${LIST}`],
    ['X-List-Message-ID (the -message-id suffix)', `X-List-Message-ID: ${LIST}`],
    ['X-Original-To holding a list', `X-Original-To: ${LIST}`],
    ['Delivered-To holding a list', `Delivered-To: ${NAMED}`],
    ['Envelope-To holding a list', `Envelope-To: ${LIST}`],
    ['X-Forwarded-To holding a list', `X-Forwarded-To: ${LIST}`],
    ['Message-ID holding a list', `Message-ID: ${LIST}`],
    ['References holding named mailboxes', `References: ${NAMED}`],
    ['a group in X-Loop', `X-Loop: Team: ${LIST};`],
    ['ARC-Recipients as one encoded word', `ARC-Recipients: =?utf-8?B?${Buffer.from(LIST).toString('base64')}?=`],
    ['ARC-Recipients folded', `ARC-Recipients: ${PEOPLE.slice(0, 2).join(', ')},\r\n ${PEOPLE.slice(2).join(', ')}`],
  ])('%s: blocks', (_name, line) => {
    const r = check(withHeader([line]), CORP, { latin1: true });
    expect(codes(r)).toContain('EXPOSED_RECIPIENTS');
    expect(r.verdict).toBe('block');
    expect(r.recipients.shown.map((v) => v.address)).toEqual(expect.arrayContaining(PEOPLE));
  });

  it('LF line ends and the delivery decision: blocked, not relayed', () => {
    const text = withHeader([`ARC-Recipients: ${LIST}`], '\n');
    expect(decideDelivery(Buffer.from(text), CORP, { onViolation: 'block' }).action).toBe('block');
  });

  it('the built CLI exits 1', async () => {
    const r = await runCli(['check', '--internal-domain', 'corp.example', '-'], { input: withHeader([`X-Team-Received: ${LIST}`]) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('EXPOSED_RECIPIENTS');
  });
});

describe('controls: the real shapes of those fields keep passing', () => {
  it.each([
    ['Received with envelope-from and for', ['Received: from [192.0.2.1] (helo=pc) by mx.alpha.example with esmtpsa (Exim 4.94) (envelope-from <a@alpha.example>) id 1kX for b@beta.example; Mon, 7 Dec 2026 10:00:00 +0000']],
    ['X-Received and X-Gmail-Received', ['X-Received: by 2002:a05:6000:1 with SMTP id x for <a@alpha.example>; Mon, 7 Dec 2026', 'X-Gmail-Received: 1234abcd']],
    ['DKIM and the ARC set', ['DKIM-Signature: v=1; a=rsa-sha256; d=alpha.example; i=@alpha.example; s=s1; h=from:to; bh=abc=; b=def=', 'ARC-Seal: i=1; a=rsa-sha256; t=1; cv=none; d=google.com; s=arc; b=xyz=', 'ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=arc; h=to:from; bh=a=; b=b=', 'ARC-Authentication-Results: i=1; mx.google.com; dkim=pass header.i=@alpha.example; spf=pass smtp.mailfrom=a@alpha.example']],
    ['Authentication-Results', ['Authentication-Results: mx.beta.example; dkim=pass header.i=@alpha.example; spf=pass smtp.mailfrom=a@alpha.example; dmarc=pass header.from=alpha.example']],
    ['References with several msg-ids, spaces or commas', ['References: <CAa1@mail.gmail.com> <CAb2@mail.gmail.com>\r\n <x3@alpha.example> <y4@beta.example>', 'In-Reply-To: <y4@beta.example>,<z5@gamma.example>']],
    ['Delivered-To on each hop, one address each', ['Delivered-To: a@alpha.example', 'Delivered-To: b@beta.example', 'X-Original-To: a@alpha.example']],
    ['a bounce\'s X-Failed-Recipients', [`X-Failed-Recipients: ${LIST}`]],
    ['vendor message ids', ['X-MS-Exchange-CrossTenant-Network-Message-Id: <0f1e@alpha.example>', 'X-Original-Message-ID: <abc@beta.example>', 'Resent-Message-ID: <r1@gamma.example>']],
  ])('%s', (_name, lines) => {
    const r = check(withHeader(lines), CORP, { latin1: true });
    expect(r.verdict).toBe('pass');
    expect(r.findings).toEqual([]);
  });
});

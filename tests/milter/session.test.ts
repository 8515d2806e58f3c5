// One MTA connection, driven with commands: negotiation, what is answered when, the decision at
// end of body, and the limits (header, recipients, body).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeReply, PacketDecoder, SMFIF, SMFIM, SMFIP, type MilterCommand, type MilterReply } from '../../src/milter/codec.js';
import { MilterSession, type SessionOptions } from '../../src/milter/session.js';
import { createPolicy } from '../../src/policy/policy.js';
import { bindOnViolation, createProfiles } from '../../src/policy/profiles.js';
import { FIXTURES } from '../helpers/cli.js';

const policy = createPolicy({ internalDomains: ['inbox.test'], warnAt: 2, blockAt: 2 });
const POSTFIX_OPTNEG: MilterCommand = { kind: 'optneg', version: 6, actions: 0x1ff, protocol: 0x1fffff };

function run(commands: MilterCommand[], options: Partial<SessionOptions> = {}): { replies: Array<[string, MilterReply[]]>; session: MilterSession; messages: unknown[] } {
  const session = new MilterSession({ policy, onViolation: 'block', ...options });
  const replies: Array<[string, MilterReply[]]> = [];
  const messages: unknown[] = [];
  for (const c of commands) {
    const step = session.handle(c, 0);
    if (step.replies.length) replies.push([c.kind, step.replies]);
    if (step.message) messages.push(step.message);
  }
  return { replies, session, messages };
}

function transaction(fields: Array<[string, string]>, rcpts: string[], body = 'Hi\r\n'): MilterCommand[] {
  return [
    { kind: 'mail', args: ['<alice@inbox.test>'] },
    ...rcpts.map((r): MilterCommand => ({ kind: 'rcpt', args: [`<${r}>`] })),
    ...fields.map(([name, value]): MilterCommand => ({ kind: 'header', name, value })),
    { kind: 'eoh' },
    { kind: 'body', chunk: Buffer.from(body) },
    { kind: 'eob' },
  ];
}

const EXPOSED: Array<[string, string]> = [['From', ' alice@inbox.test'], ['To', ' x@one.test, y@two.test'], ['Subject', ' s']];
const CLEAN: Array<[string, string]> = [['From', ' alice@inbox.test'], ['To', ' bob@inbox.test'], ['Subject', ' s']];

describe('negotiation', () => {
  // The body is read even when no policy scans bodies: its first paragraph may be more header
  // fields to readers when the header ended at a line that is not one (src/decide).
  it('asks only for what it uses, within what Postfix offers, the body included whether or not the policy scans bodies', () => {
    const { replies } = run([POSTFIX_OPTNEG]);
    const reply = replies[0]![1][0] as Extract<MilterReply, { kind: 'optneg' }>;
    expect(reply.version).toBe(6);
    expect(reply.actions).toBe(SMFIF.ADDHDRS | SMFIF.CHGHDRS | SMFIF.QUARANTINE | SMFIF.SETSYMLIST);
    expect(reply.protocol).toBe(SMFIP.NR_HDR | SMFIP.NR_EOH | SMFIP.NR_BODY | SMFIP.HDR_LEADSPC);
    expect(run([POSTFIX_OPTNEG], { transport: 'inet' }).replies[0]![1][0]).toEqual(reply);
    const scanning = run([POSTFIX_OPTNEG], { policy: createPolicy({ internalDomains: ['inbox.test'], bodyScan: { minAddresses: 10 } as never }) });
    expect((scanning.replies[0]![1][0] as { protocol: number }).protocol & SMFIP.NOBODY).toBe(0);
    expect(reply.protocol & SMFIP.NOBODY).toBe(0);
  });

  // Postfix sends a MACRO packet before every event (skipped ones too), with main.cf's lists by
  // default: the queue id before each header field, three macros before each RCPT. The milter
  // names the two it reads, each at its stage, and a name no MTA defines everywhere else (an
  // empty list would mean "main.cf's list" to Postfix).
  it('names only the macros it reads, each at one stage (SMFIF_SETSYMLIST), in the OPTNEG reply bytes', () => {
    const reply = run([POSTFIX_OPTNEG]).replies[0]![1][0]!;
    const entry = (stage: number, names: string) => `${stage.toString(16).padStart(8, '0')}${Buffer.from(`${names}\0`).toString('hex')}`;
    const lists = [entry(SMFIM.CONNECT, '{mailguard_none}'), entry(SMFIM.HELO, '{mailguard_none}'), entry(SMFIM.ENVFROM, '{auth_authen}'), entry(SMFIM.ENVRCPT, '{mailguard_none}'), entry(SMFIM.DATA, '{mailguard_none}'), entry(SMFIM.EOH, '{mailguard_none}'), entry(SMFIM.EOM, 'i')].join('');
    const words = `00000006${(SMFIF.ADDHDRS | SMFIF.CHGHDRS | SMFIF.QUARANTINE | SMFIF.SETSYMLIST).toString(16).padStart(8, '0')}${(SMFIP.NR_HDR | SMFIP.NR_EOH | SMFIP.NR_BODY | SMFIP.HDR_LEADSPC).toString(16).padStart(8, '0')}`;
    const bytes = encodeReply(reply).toString('hex');
    expect(bytes.slice(8)).toBe(`4f${words}${lists}`);
    expect(parseInt(bytes.slice(0, 8), 16)).toBe(bytes.length / 2 - 4);
    // No lists to an MTA that does not offer them (SMFIF_SETSYMLIST unset, or before version 6).
    for (const optneg of [{ ...POSTFIX_OPTNEG, actions: 0xff }, { ...POSTFIX_OPTNEG, version: 2 }] as MilterCommand[]) {
      const r = run([optneg]).replies[0]![1][0] as Extract<MilterReply, { kind: 'optneg' }>;
      expect(r.macros).toBeUndefined();
      expect(r.actions & SMFIF.SETSYMLIST).toBe(0);
    }
  });

  it('an MTA that ignores the lists and sends its default macros everywhere: the same answer, queue id and profile', () => {
    const profiles = bindOnViolation(createProfiles(policy, [{ name: 'press', match: { authUser: ['press'] }, policy: createPolicy({ internalDomains: ['inbox.test'], warnAt: 5, blockAt: 5 }) }]), () => 'block');
    const macro = (command: string, ...macros: Array<[string, string]>): MilterCommand => ({ kind: 'macro', command, macros });
    const [mail, r1, r2, ...content] = transaction(EXPOSED, ['x@one.test', 'y@two.test']);
    const defaults: MilterCommand[] = [
      POSTFIX_OPTNEG,
      macro('C', ['j', 'mx.test'], ['{daemon_name}', 'mx'], ['v', 'Postfix 3.7.11']),
      { kind: 'connect', hostname: 'localhost', family: 'inet', port: 4000, address: '127.0.0.1' },
      macro('M', ['{auth_type}', 'PLAIN'], ['{auth_authen}', 'press'], ['{mail_addr}', 'alice@inbox.test'], ['{mail_host}', 'inbox.test'], ['{mail_mailer}', 'virtual']),
      mail!,
      macro('R', ['{rcpt_addr}', 'x@one.test'], ['{rcpt_host}', 'one.test'], ['{rcpt_mailer}', 'smtp']),
      r1!,
      macro('R', ['i', 'A1B2C3'], ['{rcpt_addr}', 'y@two.test'], ['{rcpt_host}', 'two.test'], ['{rcpt_mailer}', 'smtp']),
      r2!,
      macro('T', ['i', 'A1B2C3']),
      ...content.flatMap((c): MilterCommand[] => (c.kind === 'header' || c.kind === 'eoh' ? [macro('L', ['i', 'A1B2C3']), c] : c.kind === 'eob' ? [macro('E', ['i', 'A1B2C3']), c] : [c])),
    ];
    const { replies, messages } = run(defaults, { profiles });
    // The AUTH user's profile merged with the top level's (MAIL FROM matches no profile).
    expect(replies.find(([k]) => k === 'eob')).toEqual(['eob', [expect.objectContaining({ kind: 'replycode', code: 550 })]]);
    expect(messages).toEqual([expect.objectContaining({ queueId: 'A1B2C3', profile: 'press+default', action: 'blocked', to: ['x@one.test', 'y@two.test'] })]);
    // With the lists honoured: empty MACRO packets, the AUTH user at MAIL, the queue id at the end.
    const honoured = defaults.map((c) => (c.kind !== 'macro' ? c : c.command === 'M' ? macro('M', ['{auth_authen}', 'press']) : c.command === 'E' ? c : macro(c.command)));
    expect(run(honoured, { profiles }).messages).toEqual(messages);
  });

  // Over TCP every envelope step is answered (Postfix's next packet would wait behind Nagle's
  // algorithm for our delayed ACK); over a unix socket only the end of the message is.
  const CONNECT: MilterCommand = { kind: 'connect', hostname: 'h', family: 'inet', port: 25, address: '10.0.0.1' };
  it.each<['inet' | 'unix', number, string[]]>([
    ['inet', 0, ['connect:continue', 'helo:continue', 'mail:continue', 'rcpt:continue', 'rcpt:continue', 'data:continue', 'eob:accept']],
    ['unix', SMFIP.NR_CONN | SMFIP.NR_MAIL | SMFIP.NR_RCPT | SMFIP.NOHELO | SMFIP.NODATA | SMFIP.NOUNKNOWN, ['eob:accept']],
  ])('over %s: the flags asked for beyond the common set, and the steps answered in one transaction', (transport, extra, answered) => {
    const session = run([POSTFIX_OPTNEG], { transport }).session;
    expect(session.protocol).toBe(SMFIP.NR_HDR | SMFIP.NR_EOH | SMFIP.NR_BODY | SMFIP.HDR_LEADSPC | extra);
    const [mail, ...rest] = transaction(CLEAN, ['bob@inbox.test', 'carol@inbox.test']);
    // As Postfix sends them: no HELO or DATA events once NOHELO and NODATA are negotiated.
    const sent = (skip: number, c: MilterCommand): MilterCommand[] => ((session.protocol & skip) !== 0 ? [] : [c]);
    const commands: MilterCommand[] = [POSTFIX_OPTNEG, CONNECT, ...sent(SMFIP.NOHELO, { kind: 'helo', name: 'h' }), mail!, ...rest.slice(0, 2), ...sent(SMFIP.NODATA, { kind: 'data' }), ...rest.slice(2)];
    const { replies, messages } = run(commands, { transport });
    expect(replies.slice(1).map(([k, r]) => `${k}:${r.map((x) => x.kind).join(',')}`)).toEqual(answered);
    expect(messages).toEqual([expect.objectContaining({ from: 'alice@inbox.test', to: ['bob@inbox.test', 'carol@inbox.test'], action: 'accepted' })]);
  });

  it('over a unix socket, an MTA that offers no no-reply flags still gets a reply to every step', () => {
    const { replies } = run([{ kind: 'optneg', version: 6, actions: 0x1ff, protocol: 0x7f }, CONNECT, ...transaction(CLEAN, ['bob@inbox.test'])], { transport: 'unix' });
    expect(replies.slice(1).map(([k]) => k)).toEqual(['connect', 'mail', 'rcpt', 'header', 'header', 'header', 'eoh', 'body', 'eob']);
  });

  it('an older MTA (version 2, no no-reply flags): answers continue to every step, and never a flag it was not offered', () => {
    const old: MilterCommand = { kind: 'optneg', version: 2, actions: 0x3f, protocol: 0x7f };
    const { replies } = run([old, { kind: 'connect', hostname: 'h', family: 'inet', port: 25, address: '10.0.0.1' }, { kind: 'helo', name: 'x' }, ...transaction(CLEAN, ['bob@inbox.test'])]);
    const neg = replies[0]![1][0] as { version: number; protocol: number };
    expect(neg.version).toBe(2);
    expect(neg.protocol & ~0x7f).toBe(0);
    expect(replies.slice(1).map(([k, r]) => `${k}:${r.map((x) => x.kind).join(',')}`)).toEqual(['connect:continue', 'helo:continue', 'mail:continue', 'rcpt:continue', 'header:continue', 'header:continue', 'header:continue', 'eoh:continue', 'body:continue', 'eob:accept']);
  });
});

describe('answers at end of body', () => {
  it('replays the Postfix capture: one answer in the whole session, accept', () => {
    const json = JSON.parse(readFileSync(path.join(FIXTURES, 'milter', 'postfix-3.7-smtpd.json'), 'utf8')) as { mtaToMilter: string };
    const commands = new PacketDecoder().push(Buffer.from(json.mtaToMilter, 'base64'));
    const { replies, messages } = run(commands);
    // The capture asked for no replies but to end of body; replayed here, it gets what mailguard
    // negotiates instead: one continue per step, nothing per header field, accept at the end.
    expect(replies.map(([k, r]) => `${k}:${r.map((x) => x.kind).join(',')}`)).toEqual(['optneg:optneg', 'connect:continue', 'mail:continue', 'rcpt:continue', 'rcpt:continue', 'eob:accept']);
    expect(messages).toEqual([expect.objectContaining({ from: 'alice@inbox.test', to: ['bob@inbox.test', 'carol@inbox.test'], verdict: 'pass', action: 'accepted', queueId: expect.stringMatching(/^[0-9A-F]+$/) })]);
  });

  it.each([
    ['block', [{ kind: 'replycode', code: 550, text: expect.stringMatching(/^5\.7\.1 Blocked by mailguard: 2 external addresses from 2 organisations visible in To/) }], 'blocked'],
    ['hold', [{ kind: 'quarantine', reason: expect.stringMatching(/^mailguard: 2 external addresses/) }, { kind: 'accept' }], 'held'],
    ['bcc', [{ kind: 'chgheader', index: 1, name: 'To', value: ' undisclosed-recipients:;' }, { kind: 'accept' }], 'rewritten-bcc'],
  ] as const)('exposed, --on-violation %s', (mode, expected, action) => {
    const { replies, messages } = run([POSTFIX_OPTNEG, ...transaction(EXPOSED, ['x@one.test', 'y@two.test'])], { onViolation: mode });
    expect(replies.find(([k]) => k === 'eob')).toEqual(['eob', expected]);
    expect(messages[0]).toMatchObject({ action, recipients: 2 });
  });

  it('hold without SMFIF_QUARANTINE offered: tempfail, never accept', () => {
    const { replies, messages } = run([{ ...POSTFIX_OPTNEG, actions: SMFIF.ADDHDRS | SMFIF.CHGHDRS } as MilterCommand, ...transaction(EXPOSED, ['x@one.test'])], { onViolation: 'hold' });
    expect(replies.find(([k]) => k === 'eob')).toEqual(['eob', [{ kind: 'tempfail' }]]);
    expect(messages[0]).toMatchObject({ action: 'tempfailed', error: expect.stringMatching(/QUARANTINE/) });
  });

  it('a second message on the same connection after ABORT starts clean', () => {
    const { replies } = run([POSTFIX_OPTNEG, ...transaction(EXPOSED, ['x@one.test']).slice(0, -1), { kind: 'abort' }, ...transaction(CLEAN, ['bob@inbox.test'])]);
    expect(replies.filter(([k]) => k === 'eob')).toEqual([['eob', [{ kind: 'accept' }]]]);
  });

  it('an unreadable message (no header fields) is refused with 554', () => {
    const { replies } = run([POSTFIX_OPTNEG, ...transaction([], ['bob@inbox.test'])]);
    expect(replies.find(([k]) => k === 'eob')![1]).toEqual([{ kind: 'replycode', code: 554, text: expect.stringMatching(/^5\.6\.0 Not a valid message: /) }]);
  });
});

describe('limits', () => {
  it('a header block over the limit is refused with 552 and not kept', () => {
    const big: Array<[string, string]> = [...CLEAN, ...Array.from({ length: 50 }, (_, i): [string, string] => [`X-Pad-${i}`, ` ${'x'.repeat(100)}`])];
    const { replies, messages } = run([POSTFIX_OPTNEG, ...transaction(big, ['bob@inbox.test'])], { maxHeaderBytes: 2000 });
    expect(replies.find(([k]) => k === 'eob')![1]).toEqual([{ kind: 'replycode', code: 552, text: '5.3.4 Message header block exceeds 2000 bytes' }]);
    expect(messages[0]).toMatchObject({ action: 'rejected' });
  });

  it('a recipient past the limit is deferred with 452 4.5.3 (the client sends it in another transaction)', () => {
    const { replies, messages } = run([POSTFIX_OPTNEG, ...transaction(CLEAN, ['a@inbox.test', 'b@inbox.test', 'c@inbox.test'])], { maxRecipients: 2 });
    expect(replies.filter(([k]) => k === 'rcpt').map(([, r]) => r[0]!.kind)).toEqual(['continue', 'continue', 'replycode']);
    expect(replies.filter(([k]) => k === 'rcpt')[2]![1][0]).toEqual({ kind: 'replycode', code: 452, text: expect.stringMatching(/^4\.5\.3 Too many recipients: at most 2/) });
    expect(messages[0]).toMatchObject({ recipients: 2, action: 'accepted' });
  });

  it('over a unix socket (no reply to RCPT), too many recipients refuse the whole message at its end with 550 5.5.3', () => {
    const { replies, messages } = run([POSTFIX_OPTNEG, ...transaction(CLEAN, ['a@inbox.test', 'b@inbox.test', 'c@inbox.test'])], { maxRecipients: 2, transport: 'unix' });
    expect(replies.slice(1)).toEqual([['eob', [{ kind: 'replycode', code: 550, text: expect.stringMatching(/^5\.5\.3 Too many recipients: at most 2/) }]]]);
    expect(messages[0]).toMatchObject({ recipients: 3, action: 'rejected' });
  });

  it('without replies to RCPT (an MTA that negotiated NR_RCPT), too many recipients refuse the message with 550 5.5.3', () => {
    const session = new MilterSession({ policy, onViolation: 'block', maxRecipients: 2 });
    session.protocol = SMFIP.NR_RCPT;
    const replies = transaction(CLEAN, ['a@inbox.test', 'b@inbox.test', 'c@inbox.test']).flatMap((c) => session.handle(c, 0).replies);
    expect(replies.filter((r) => r.kind === 'replycode')).toEqual([{ kind: 'replycode', code: 550, text: expect.stringMatching(/^5\.5\.3 Too many recipients: at most 2/) }]);
    expect(replies.some((r) => r.kind === 'accept')).toBe(false);
  });

  it('a rewritten field longer than a reply packet may be (Postfix: 131,070 bytes) refuses the message instead', () => {
    const internal = Array.from({ length: 8000 }, (_, i) => `user${i}@inbox.test`);
    const fields: Array<[string, string]> = [['From', ' alice@inbox.test'], ['To', ` x@one.test, y@two.test, ${internal.join(', ')}`], ['Subject', ' big']];
    const { replies, messages } = run([POSTFIX_OPTNEG, ...transaction(fields, ['x@one.test'])], { onViolation: 'bcc' });
    expect(replies.find(([k]) => k === 'eob')![1]).toEqual([{ kind: 'replycode', code: 550, text: expect.stringMatching(/cannot be rewritten safely \(the new To field is longer than the milter protocol carries\)/) }]);
    expect(messages[0]).toMatchObject({ action: 'blocked' });
  });

  it('with body scanning, a body over the limit is refused with 552', () => {
    const scanning = createPolicy({ internalDomains: ['inbox.test'], bodyScan: { minAddresses: 10 } as never });
    const { replies } = run([POSTFIX_OPTNEG, ...transaction(CLEAN, ['bob@inbox.test'], 'x'.repeat(5000))], { policy: scanning, maxBodyBytes: 1000 });
    expect(replies.find(([k]) => k === 'eob')![1]).toEqual([{ kind: 'replycode', code: 552, text: '5.3.4 Message exceeds the size limit of 1000 bytes' }]);
  });
});

describe('any command sequence (property)', () => {
  const command: fc.Arbitrary<MilterCommand> = fc.oneof(
    fc.constant(POSTFIX_OPTNEG),
    fc.record({ kind: fc.constant('optneg' as const), version: fc.integer({ min: 0, max: 9 }), actions: fc.nat(), protocol: fc.nat() }),
    fc.constant<MilterCommand>({ kind: 'mail', args: ['<alice@inbox.test>'] }),
    fc.constantFrom<MilterCommand>({ kind: 'rcpt', args: ['<x@one.test>'] }, { kind: 'rcpt', args: ['<>'] }, { kind: 'rcpt', args: ['bob@inbox.test'] }),
    fc.tuple(fc.constantFrom('To', 'Cc', 'From', 'Bcc', 'Subject', 'X'), fc.constantFrom(' x@one.test, y@two.test', ' bob@inbox.test', '', ' "a', ' a\n\tb')).map(([name, value]): MilterCommand => ({ kind: 'header', name, value })),
    fc.constantFrom<MilterCommand>({ kind: 'eoh' }, { kind: 'eob' }, { kind: 'abort' }, { kind: 'data' }, { kind: 'helo', name: 'h' }, { kind: 'quit-nc' }, { kind: 'unknown', line: 'X' }),
    fc.uint8Array({ maxLength: 50 }).map((chunk): MilterCommand => ({ kind: 'body', chunk })),
  );
  it('never throws, answers OPTNEG with OPTNEG, and accepts only at end of body', () => {
    fc.assert(
      fc.property(fc.constantFrom<'block' | 'bcc' | 'hold' | 'warn'>('block', 'bcc', 'hold', 'warn'), fc.constantFrom<'inet' | 'unix'>('inet', 'unix'), fc.array(command, { maxLength: 40 }), (mode, transport, commands) => {
        const session = new MilterSession({ policy, onViolation: mode, maxHeaderBytes: 200, transport });
        for (const c of commands) {
          const { replies } = session.handle(c, 0);
          if (c.kind === 'optneg') expect(replies.map((r) => r.kind)).toEqual(['optneg']);
          for (const r of replies) if (r.kind === 'accept' || r.kind === 'quarantine' || r.kind === 'chgheader' || r.kind === 'insheader') expect(c.kind).toBe('eob');
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('profiles: the {auth_authen} user chooses', () => {
  const profiles = bindOnViolation(
    createProfiles(policy, [
      { name: 'lax', match: { authUser: ['press'], envelopeFrom: ['alice@inbox.test'], from: ['press@inbox.test'] }, policy: createPolicy({ internalDomains: ['inbox.test'], warnAt: 5, blockAt: 5 }) },
      { name: 'strict', match: { authUser: ['dr-ann'] }, policy: createPolicy({ internalDomains: ['inbox.test'], sensitive: true }) },
    ]),
    () => 'block',
  );
  const FORGED: Array<[string, string]> = [['From', ' press@inbox.test'], ['To', ' x@one.test, y@two.test'], ['Subject', ' s']];
  const withAuth = (user: string | undefined): MilterCommand[] => [
    POSTFIX_OPTNEG,
    ...(user === undefined ? [] : [{ kind: 'macro', command: 'M', macros: [['{auth_authen}', user]] } as MilterCommand]),
    ...transaction(FORGED, ['x@one.test', 'y@two.test']),
  ];

  // SMFIC_QUIT_NC: the MTA keeps the connection for another SMTP session. Postfix sends only the
  // macros that have a value, so an unauthenticated session after an authenticated one sends no
  // {auth_authen} at all: the earlier user must not choose its profile.
  it('a new session on the same connection (QUIT_NC) does not inherit the previous AUTH user', () => {
    const session = new MilterSession({ profiles });
    const answer = (commands: MilterCommand[]) => commands.map((c) => session.handle(c, 0)).at(-1)!.message as { profile: string; action: string };
    expect(answer(withAuth('press'))).toMatchObject({ profile: 'lax', action: 'accepted' });
    session.handle({ kind: 'quit-nc' }, 0);
    const [, ...rest] = transaction([['From', ' press@inbox.test'], ['To', ' x@one.test, y@two.test'], ['Subject', ' s']], ['x@one.test', 'y@two.test']);
    const next = [POSTFIX_OPTNEG, { kind: 'mail', args: ['<bob@inbox.test>'] } as MilterCommand, ...rest];
    expect(answer(next)).toMatchObject({ profile: 'default+lax', action: 'blocked' });
  });

  it('a message that fails before its end is logged without the previous message\'s queue id', () => {
    const session = new MilterSession({ policy, onViolation: 'block' });
    session.handle(POSTFIX_OPTNEG, 0);
    const [mail, ...rest] = transaction(CLEAN, ['bob@inbox.test']);
    session.handle(mail!, 0);
    for (const c of rest.slice(0, -1)) session.handle(c, 0);
    session.handle({ kind: 'macro', command: 'E', macros: [['i', 'AAA111']] }, 0);
    expect(session.handle({ kind: 'eob' }, 0).message).toMatchObject({ queueId: 'AAA111' });
    session.handle({ kind: 'mail', args: ['<alice@inbox.test>'] }, 0);
    expect(session.failMessage(0, 'timeout').message!.queueId).toBeUndefined();
  });

  it.each<[string | undefined, string, string]>([
    [undefined, 'lax', 'accepted'],
    ['press', 'lax', 'accepted'],
    // The attack: the strict profile's user writes From: press@ and is held to the stricter of the two.
    ['dr-ann', 'strict+lax', 'blocked'],
    // An authenticated user no profile names: the top level (blockAt 2) merged with lax.
    ['sam', 'default+lax', 'blocked'],
  ])('AUTH %s, From press@: profile %s, %s', (user, profile, action) => {
    const { messages } = run(withAuth(user), { profiles });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ profile, action });
  });
});

// Postfix ends the header at the first line that is not a header field and delivers the lines
// after it as they are, with no blank line inserted (seen in tests/e2e/milter-postfix.test.ts):
// readers that skip a bad line show the fields after it. The milter gets the same body whether
// or not the sender wrote a blank line, so a list in the body's first paragraph that the policy
// would block as a header field is refused either way.
describe('a body whose first paragraph may be more header fields', () => {
  const HEADER: Array<[string, string]> = [['From', ' alice@inbox.test'], ['To', ' bob@inbox.test'], ['Subject', ' s']];
  const LIST = 'x@one.test, y@two.test, z@three.test';
  const answer = (body: string, options: Partial<SessionOptions> = {}) => {
    const { replies, messages } = run([POSTFIX_OPTNEG, ...transaction(HEADER, ['bob@inbox.test', 'x@one.test', 'y@two.test', 'z@three.test'], body)], options);
    return { last: replies.at(-1)![1], message: messages[0] as { action: string; findings: string[] } };
  };
  const noBodyScan = createPolicy({ internalDomains: ['inbox.test'], warnAt: 2, blockAt: 2 });
  const scanning = createPolicy({ internalDomains: ['inbox.test'], warnAt: 2, blockAt: 2, bodyScan: { minAddresses: 10 } as never });

  it.each([
    ['a lone dot (dot-stuffed on the wire)', `.\r\nCc: ${LIST}\r\n\r\nHi\r\n`],
    ['a stray word', `oops\r\nCc: ${LIST}\r\n\r\nHi\r\n`],
    ['a BOM and an mbox From line', `\ufeffFrom alice@inbox.test Mon Jan  1 00:00:00 2024\r\nFrom: alice@inbox.test\r\nTo: ${LIST}\r\n\r\nHi\r\n`],
    ['a line with a colon but no field name', `Dear all: see below\r\nBcc: nobody@inbox.test\r\nReply-To: ${LIST}\r\n\r\nHi\r\n`],
    ['bare LF line ends, folded', `-- \nCc: x@one.test,\n y@two.test,\n\tz@three.test\n\nHi\n`],
    // No "@" byte in the paragraph, yet a list every reader sees, as the check reads it in a header.
    ['a list with fullwidth ats in X-Recipients', `.\r\nX-Recipients: ${LIST.replace(/@/g, '\uff20')}\r\n\r\nHi\r\n`],
    ['a list with small commercial ats in Comments', `oops\r\nComments: ${LIST.replace(/@/g, '\ufe6b')}\r\n\r\nHi\r\n`],
    ['a list in a base64 encoded Subject', `.\r\nSubject: =?UTF-8?B?${Buffer.from(LIST).toString('base64')}?=\r\n\r\nHi\r\n`],
    ['a list in a Q encoded Subject (=40)', `.\r\nSubject: =?UTF-8?Q?${LIST.replace(/@/g, '=40').replace(/ /g, '_')}?=\r\n\r\nHi\r\n`],
  ])('%s: refused with 550, the findings name the malformed header and the list', (_, body) => {
    for (const p of [noBodyScan, scanning]) {
      const { last, message } = answer(body, { policy: p });
      expect(last[0]).toMatchObject({ kind: 'replycode', code: 550 });
      expect((last[0] as { text: string }).text).not.toContain('@');
      expect(message.action).toBe('blocked');
      expect(message.findings).toEqual(expect.arrayContaining(['MALFORMED_HEADER', 'EXPOSED_RECIPIENTS']));
    }
  });

  it.each([
    ['a blank line first (the header surely ended)', `\r\n.\r\nCc: ${LIST}\r\n`],
    ['addresses in the second paragraph only', `Dear all,\r\n\r\nCc: ${LIST}\r\n`],
    ['one external address in the first paragraph (under the policy)', `Write to x@one.test\r\nor to bob@inbox.test\r\n\r\nThanks\r\n`],
    ['a memo head without addresses', `To: all staff\r\nCc: the board\r\n\r\nHi\r\n`],
    ['no @ at all', `.\r\nHello\r\n`],
    ['an encoded Subject without an address', `.\r\nSubject: =?UTF-8?B?${Buffer.from('Grüße an alle').toString('base64')}?=\r\n\r\nHi\r\n`],
    // A header field or a folded line would have continued the header: a blank line was written.
    ['the list as the first line itself', `Cc: ${LIST}\r\n\r\nHi\r\n`],
    ['a line of spaces first', `   \r\nCc: ${LIST}\r\n\r\nHi\r\n`],
  ])('%s: accepted', (_, body) => {
    for (const p of [noBodyScan, scanning]) {
      const { last, message } = answer(body, { policy: p });
      expect(last).toEqual([{ kind: 'accept' }]);
      expect(message.action).toBe('accepted');
    }
  });

  it('in every mode: bcc cannot move body lines (blocked), hold holds, warn does not send an unreadable header', () => {
    const body = `.\r\nCc: ${LIST}\r\n\r\nHi\r\n`;
    expect(answer(body, { onViolation: 'bcc' }).message.action).toBe('blocked');
    expect(answer(body, { onViolation: 'hold' }).last.map((r) => r.kind)).toEqual(['quarantine', 'accept']);
    expect(answer(body, { onViolation: 'warn' }).message.action).toBe('blocked');
  });

  it('a body larger than what is kept without a body scan: the first paragraph is still read', () => {
    const body = `.\r\nCc: ${LIST}\r\n\r\n${'x'.repeat(1024 * 1024)}\r\n`;
    const session = new MilterSession({ policy: noBodyScan, onViolation: 'block' });
    session.handle(POSTFIX_OPTNEG, 0);
    const [mail, ...rest] = transaction(HEADER, ['bob@inbox.test'], '');
    session.handle(mail!, 0);
    for (const c of rest.filter((c) => c.kind !== 'body' && c.kind !== 'eob')) session.handle(c, 0);
    const bytes = Buffer.from(body);
    for (let i = 0; i < bytes.length; i += 65_535) session.handle({ kind: 'body', chunk: bytes.subarray(i, i + 65_535) }, 0);
    const end = session.handle({ kind: 'eob' }, 0);
    expect(end.replies[0]).toMatchObject({ kind: 'replycode', code: 550 });
    expect(end.message).toMatchObject({ size: expect.any(Number) });
    expect((end.message as { size: number }).size).toBeGreaterThan(1024 * 1024);
  });
});

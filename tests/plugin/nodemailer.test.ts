// The nodemailer plugin with a real nodemailer SMTP transport against the recording sink.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { mailguard, type MailguardPluginOptions } from '../../src/plugin/nodemailer.js';
import { ROOT } from '../helpers/cli.js';
import { startSink, type Sink, type SinkMessage } from '../helpers/smtp-sink.js';

const POLICY = { internalDomains: ['corp.example'] };
const EXTERNAL = ['ann@alpha.test', 'ben@beta.test', 'cy@gamma.test', 'dee@delta.test', 'eve@epsilon.test'];

let sink: Sink | undefined;
let transports: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const t of transports) t.close();
  transports = [];
  await sink?.close();
  sink = undefined;
});

async function transporter(options: MailguardPluginOptions) {
  sink ??= await startSink();
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
  t.use('compile', mailguard(options));
  transports.push(t);
  return t;
}

const header = (m: SinkMessage) => m.raw.toString('utf8').split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
const visible = (m: SinkMessage) => header(m).split(/\r?\n/).filter((l) => /^(to|cc):/i.test(l)).join('\n');

describe('onViolation: block', () => {
  it('fails sendMail with EEXPOSED carrying the findings; nothing reaches the server', async () => {
    const t = await transporter({ policy: POLICY });
    const err = await t.sendMail({ from: 'sales@corp.example', to: EXTERNAL, subject: 'offer', text: 'hi' }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EEXPOSED');
    const findings = (err as { findings: Array<{ code: string; args: { parties?: number } }> }).findings;
    expect(findings.map((f) => f.code)).toEqual(['EXPOSED_RECIPIENTS']);
    expect(findings[0]!.args.parties).toBe(5);
    // The message names no full address.
    expect((err as Error).message).not.toContain('ann@alpha.test');
    expect(sink!.attempts).toBe(0);
  });

  it('lets a message below the threshold through unchanged', async () => {
    const t = await transporter({ policy: POLICY });
    const info = await t.sendMail({ from: 'sales@corp.example', to: 'Ann <ann@alpha.test>', cc: { name: 'Boss', address: 'boss@corp.example' }, subject: 'order', text: 'hi' });
    expect(info.accepted).toEqual(['ann@alpha.test', 'boss@corp.example']);
    expect(visible(sink!.messages[0]!)).toContain('ann@alpha.test');
  });

  it('counts addresses however they are given: one string, arrays, { name, address } objects', async () => {
    const t = await transporter({ policy: POLICY });
    const err = await t
      .sendMail({
        from: { name: 'Sales', address: 'sales@corp.example' },
        to: 'Ann <ann@alpha.test>, ben@beta.test',
        cc: [{ name: 'Cy, the "third"', address: 'cy@gamma.test' }, 'dee@delta.test', { name: '', address: 'eve@epsilon.test' }],
        text: 'hi',
      })
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EEXPOSED');
    expect(sink!.attempts).toBe(0);
  });

  it('sends a raw message as decided: a leading BOM or mbox From_ line is not relayed (the check read past it), in each form raw takes', async () => {
    const message = 'From: sales@corp.example\r\nTo: boss@corp.example\r\nBcc: audit@corp.example\r\nSubject: r\r\n\r\nhi\r\n';
    const raws: Array<string | Buffer> = [
      `\ufeff${message}`,
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(message)]),
      `From sales@corp.example Mon Nov  2 10:00:00 2026\r\n${message}`,
      Buffer.from(`From sales@corp.example Mon Nov  2 10:00:00 2026\r\n${message}`),
    ];
    const t = await transporter({ policy: POLICY });
    for (const [i, raw] of raws.entries()) {
      await t.sendMail(i % 2 === 0 ? { raw } : { raw, envelope: { from: 'sales@corp.example', to: ['boss@corp.example', 'audit@corp.example'] } });
      const m = sink!.messages.at(-1)!;
      expect(m.raw.toString('latin1').startsWith('From: sales@corp.example\r\nTo: boss@corp.example\r\nSubject: r\r\n'), `raw ${i}`).toBe(true);
      expect(m.mailFrom).toBe('sales@corp.example');
      expect([...m.rcptTo].sort()).toEqual(['audit@corp.example', 'boss@corp.example']);
    }
  });

  it('sends a raw message given as { content } (a string or a Buffer) as bytes nodemailer can send, with or without a Bcc field to strip', async () => {
    const t = await transporter({ policy: POLICY });
    const message = (bcc: string) => `From: sales@corp.example\r\nTo: boss@corp.example\r\n${bcc}Subject: content\r\n\r\nhi\r\n`;
    for (const content of [message(''), Buffer.from(message('')), message('Bcc: audit@corp.example\r\n'), Buffer.from(message('Bcc: audit@corp.example\r\n'))]) {
      // nodemailer's own types and its raw node take no { content }: mailguard reads it and hands on bytes.
      await t.sendMail({ raw: { content } } as unknown as Parameters<typeof t.sendMail>[0]);
      const m = sink!.messages.at(-1)!;
      expect(m.raw.toString('latin1')).toBe(message(''));
      expect(m.rcptTo.length).toBe(content.includes('audit@') ? 2 : 1);
    }
    expect(sink!.messages).toHaveLength(4);
  });

  it('sends a raw message with its Bcc field stripped and every header recipient in the envelope', async () => {
    const raw = await readFile(path.join(ROOT, 'fixtures/send-clean.eml'));
    const t = await transporter({ policy: POLICY });
    await t.sendMail({ raw });
    const m = sink!.messages[0]!;
    expect(m.mailFrom).toBe('sales@corp.example');
    expect(m.rcptTo.sort()).toEqual(['ann@alpha.test', 'audit@corp.example', 'boss@corp.example']);
    expect(header(m)).not.toMatch(/^bcc:/im);
    expect(m.raw.toString()).not.toContain('audit@corp.example');
  });
});

describe('onViolation: bcc', () => {
  it('moves external To/Cc to Bcc: everyone receives it, nobody sees an external address, no Bcc field', async () => {
    const t = await transporter({ policy: POLICY, onViolation: 'bcc' });
    const info = await t.sendMail({
      from: 'Sales <sales@corp.example>',
      to: ['Ann <ann@alpha.test>, ben@beta.test', { name: 'Boss', address: 'boss@corp.example' }],
      cc: [{ name: 'Cy', address: 'cy@gamma.test' }, 'dee@delta.test'],
      bcc: 'eve@epsilon.test',
      subject: 'offer',
      text: 'our spring offer',
    });
    expect(info.rejected).toEqual([]);
    const m = sink!.messages[0]!;
    expect(m.rcptTo.sort()).toEqual([...EXTERNAL, 'boss@corp.example'].sort());
    for (const a of EXTERNAL) expect(header(m)).not.toContain(a);
    expect(visible(m)).toContain('boss@corp.example');
    expect(header(m)).not.toMatch(/^bcc:/im);
    expect(m.raw.toString()).toContain('our spring offer');
  });

  it('shows "undisclosed-recipients:;" when no visible recipient is left', async () => {
    const t = await transporter({ policy: POLICY, onViolation: 'bcc' });
    await t.sendMail({ from: 'sales@corp.example', to: EXTERNAL.join(', '), text: 'hi' });
    const m = sink!.messages[0]!;
    expect(m.rcptTo.sort()).toEqual([...EXTERNAL].sort());
    // nodemailer quotes the group name ("undisclosed-recipients":;), which RFC 5322 allows.
    expect(visible(m)).toMatch(/^To: "?undisclosed-recipients"?:;$/m);
  });

  it('rewrites a raw message too, with an explicit envelope and the Bcc field stripped', async () => {
    const raw = await readFile(path.join(ROOT, 'fixtures/send-exposed.eml'));
    const t = await transporter({ policy: POLICY, onViolation: 'bcc' });
    await t.sendMail({ raw });
    const m = sink!.messages[0]!;
    expect(m.mailFrom).toBe('sales@corp.example');
    expect(m.rcptTo.sort()).toEqual([...EXTERNAL, 'audit@corp.example', 'boss@corp.example'].sort());
    for (const a of EXTERNAL) expect(header(m)).not.toContain(a);
    expect(header(m)).not.toMatch(/^bcc:/im);
  });

  it('still blocks what it cannot rewrite safely (an ambiguous address)', async () => {
    const t = await transporter({ policy: POLICY, onViolation: 'bcc' });
    const err = await t.sendMail({ from: 'sales@corp.example', to: ['"unclosed <ann@alpha.test>', ...EXTERNAL.slice(1)], text: 'hi' }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EEXPOSED');
    expect((err as { findings: Array<{ code: string }> }).findings.map((f) => f.code)).toContain('AMBIGUOUS_RECIPIENT');
    expect(sink!.attempts).toBe(0);
  });

  it('refuses bcc for a sensitive list when the plugin is created', () => {
    expect(() => mailguard({ policy: { ...POLICY, sensitive: true }, onViolation: 'bcc' })).toThrow(/sensitive/);
  });
});

describe('fields sendMail adds after the compile plugins (X-Mailer, priority, List-*)', () => {
  const mailto = EXTERNAL.map((a) => `mailto:${a}`);
  // Each is a list nodemailer writes after mailguard's compile plugin ran: checked as written.
  const LISTED: Array<[string, Record<string, unknown>, string]> = [
    ['list: { members } writes List-Members', { list: { members: [mailto] } }, 'List-Members'],
    ['list: { members } one field per entry', { list: { members: mailto } }, 'List-Members'],
    ['xMailer holding a list', { xMailer: EXTERNAL.join(', ') }, 'X-Mailer'],
  ];
  for (const [name, extra, field] of LISTED) {
    it(`${name}: blocked in block and bcc mode, nothing sent`, async () => {
      for (const onViolation of ['block', 'bcc'] as const) {
        const t = await transporter({ policy: POLICY, onViolation });
        const err = await t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', subject: 'news', text: 'hi', ...extra }).catch((e: unknown) => e);
        expect((err as { code?: string }).code, `${onViolation}`).toBe('EEXPOSED');
        expect((err as { findings: Array<{ code: string; args: { fields?: string[] } }> }).findings[0]).toMatchObject({ code: 'EXPOSED_RECIPIENTS', args: { fields: [field.toLowerCase()] } });
      }
      expect(sink!.attempts).toBe(0);
    });
  }

  it('an xMailer from the transporter defaults (createTransport\'s second argument) is checked too', async () => {
    sink ??= await startSink();
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true }, { xMailer: EXTERNAL.join(', ') });
    t.use('compile', mailguard({ policy: POLICY }));
    transports.push(t);
    const err = await t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', subject: 'news', text: 'hi' }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EEXPOSED');
    expect(sink.attempts).toBe(0);
  });

  it('what they replace is not what is sent: a listed X-Priority in headers gives way to priority "high"', async () => {
    const t = await transporter({ policy: POLICY });
    await t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', subject: 'news', text: 'hi', priority: 'high', headers: { 'X-Priority': EXTERNAL.join(', ') } });
    const got = header(sink!.messages.at(-1)!);
    expect(got).toMatch(/^X-Priority: 1 \(Highest\)$/m);
    expect(got).not.toContain('alpha.test');
  });

  it('a bcc rewrite sends them: its raw bytes keep List-Unsubscribe, List-ID, the priority and X-Mailer', async () => {
    const t = await transporter({ policy: POLICY, onViolation: 'bcc' });
    await t.sendMail({ from: 'sales@corp.example', to: EXTERNAL, subject: 'news', text: 'hi', priority: 'low', xMailer: 'app 1.0', list: { unsubscribe: 'https://corp.example/u', id: { url: 'news.corp.example', comment: 'News' } } });
    const m = sink!.messages.at(-1)!;
    expect(m.rcptTo.sort()).toEqual([...EXTERNAL].sort());
    const got = header(m);
    expect(got).not.toContain('alpha.test');
    expect(got).toMatch(/^List-Unsubscribe: <https:\/\/corp\.example\/u>$/m);
    expect(got).toMatch(/^List-ID: "News" <news\.corp\.example>$/m);
    expect(got).toMatch(/^X-Priority: 5 \(Lowest\)$/m);
    expect(got).toMatch(/^X-Mailer: app 1\.0$/m);
  });
});

describe('nodemailer\'s Sendmail transport (it writes the Bcc field and names the recipients without -t)', () => {
  // A sendmail stand-in that keeps its arguments and the message it was given.
  async function sendmailTransport(options: MailguardPluginOptions) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-plugin-sendmail-'));
    const script = path.join(dir, 'sendmail');
    await writeFile(script, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\ncat > "${dir}/message"\n`, { mode: 0o755 });
    const t = nodemailer.createTransport({ sendmail: true, path: script });
    t.use('compile', mailguard(options));
    const read = async () => ({ args: (await readFile(path.join(dir, 'args'), 'utf8')).trim().split('\n'), message: await readFile(path.join(dir, 'message'), 'latin1') });
    return { t, read, done: () => rm(dir, { recursive: true, force: true }) };
  }
  const BLIND: Array<[string, Record<string, unknown>]> = [
    ['bcc as a list string', { bcc: EXTERNAL.join(', ') }],
    ['bcc as address objects', { bcc: EXTERNAL.map((address, i) => ({ name: `Customer ${i}`, address })) }],
    ['bcc beside an explicit envelope', { bcc: EXTERNAL, envelope: { from: 'sales@corp.example', to: ['boss@corp.example', ...EXTERNAL] } }],
    // nodemailer reads a Bcc given in headers into its envelope and, with keepBcc, writes it too.
    ['a Bcc field given in headers', { headers: { Bcc: EXTERNAL.join(', ') } }],
    ['a bcc field given in headers (array form)', { headers: [{ key: 'bcc', value: EXTERNAL.join(', ') }] }],
  ];
  for (const [name, extra] of BLIND) {
    it(`${name}: the message handed to sendmail has no Bcc field, every blind recipient is still named`, async () => {
      for (const onViolation of ['block', 'bcc'] as const) {
        const s = await sendmailTransport({ policy: POLICY, onViolation });
        try {
          await s.t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', subject: 'blind', text: 'hi', ...extra });
          const { args, message } = await s.read();
          const header = message.split(/\r?\n\r?\n/)[0]!;
          expect(header, onViolation).not.toMatch(/^bcc:/im);
          expect(header).not.toMatch(/alpha\.test|epsilon\.test/);
          expect(header).toMatch(/^Subject: blind$/m);
          expect(args).toEqual(expect.arrayContaining(['boss@corp.example', ...EXTERNAL]));
          expect(message).toMatch(/\r?\n\r?\nhi/);
        } finally {
          await s.done();
        }
      }
    });
  }

  it('a message without blind recipients is left to nodemailer, which writes it as it would without mailguard', async () => {
    const s = await sendmailTransport({ policy: POLICY });
    try {
      await s.t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', subject: 'plain', text: 'hi', xMailer: 'app 1.0' });
      const { args, message } = await s.read();
      expect(args).toEqual(['-i', '-f', 'sales@corp.example', 'boss@corp.example']);
      expect(message).toMatch(/^X-Mailer: app 1\.0$/m);
    } finally {
      await s.done();
    }
  });
});

describe('the package entry', () => {
  it('mailguard/nodemailer resolves to the built plugin, and its module graph holds no smtp-server', async () => {
    const code = "const m = await import('mailguard/nodemailer'); console.log(typeof m.mailguard, typeof m.default);";
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    expect(out.trim()).toBe('function function');
    // Walk the built chunk graph from dist/nodemailer.js: static and dynamic imports alike.
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)["']([^"']+)["']/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) await visit(path.resolve(path.dirname(file), spec));
        else bare.add(spec);
      }
    };
    await visit(path.join(ROOT, 'dist/nodemailer.js'));
    expect([...bare].filter((s) => s.includes('smtp-server') || s === 'nodemailer' || s === 'mailparser')).toEqual([]);
  });
});

describe('what nodemailer will really write', () => {
  const list = EXTERNAL.join(', ');
  it.each([
    ['headers object (Cc)', { to: 'boss@corp.example', headers: { Cc: list } }],
    ['headers object (To, array of values)', { headers: { To: EXTERNAL } }],
    ['headers array form', { to: 'boss@corp.example', headers: [{ key: 'cc', value: list }] }],
    ['raw string', { raw: `From: sales@corp.example\r\nTo: ${list}\r\nSubject: r\r\n\r\nx\r\n` }],
    ['raw { content }', { raw: { content: `From: sales@corp.example\r\nCc: ${list}\r\n\r\nx\r\n` }, envelope: { from: 'sales@corp.example', to: EXTERNAL } }],
  ])('blocks a list given as %s; nothing reaches the server', async (_name, data) => {
    const t = await transporter({ policy: POLICY });
    const err = await t.sendMail({ from: 'sales@corp.example', subject: 's', text: 'hi', ...(data as object) }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EEXPOSED');
    expect(sink!.attempts).toBe(0);
  });

  it('bcc mode rewrites the bytes nodemailer writes: a list in headers is hidden too, and only the decided bytes go out', async () => {
    const t = await transporter({ policy: POLICY, onViolation: 'bcc' });
    await t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', headers: { Cc: list }, text: 'hi there' });
    const m = sink!.messages[0]!;
    for (const a of EXTERNAL) expect(header(m)).not.toContain(a);
    expect(header(m)).not.toMatch(/^bcc:/im);
    expect(m.raw.toString('utf8')).toContain('hi there');
    // Everyone nodemailer's envelope names still receives it (the list now blind).
    expect([...m.rcptTo].sort()).toEqual(['boss@corp.example', ...EXTERNAL].sort());
  });

  it('raw { path }: read once and sent as the bytes that were checked', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailguard-plugin-'));
    try {
      const file = path.join(dir, 'm.eml');
      writeFileSync(file, 'From: sales@corp.example\r\nTo: ann@alpha.test\r\nSubject: r\r\n\r\nchecked\r\n');
      const t = await transporter({ policy: POLICY });
      // A plugin after mailguard's swaps the file: nodemailer must not read it again.
      let swap = true;
      t.use('compile', (_mail, done) => {
        if (swap) writeFileSync(file, `From: sales@corp.example\r\nTo: ${list}\r\n\r\nswapped\r\n`);
        swap = false;
        done();
      });
      await t.sendMail({ raw: { path: file }, envelope: { from: 'sales@corp.example', to: ['ann@alpha.test'] } });
      expect(sink!.messages[0]!.raw.toString('utf8')).toContain('checked');
      expect(sink!.messages[0]!.raw.toString('utf8')).not.toContain('swapped');
      const blocked = await t.sendMail({ raw: { path: file }, envelope: { from: 'sales@corp.example', to: EXTERNAL } }).catch((e: unknown) => e);
      expect((blocked as { code?: string }).code).toBe('EEXPOSED');
      expect(sink!.messages).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an envelope to everyone behind one visible recipient is Bcc-style and is sent to the envelope', async () => {
    const t = await transporter({ policy: POLICY });
    await t.sendMail({ from: 'sales@corp.example', to: 'undisclosed-recipients:;', envelope: { from: 'sales@corp.example', to: EXTERNAL }, text: 'hi' });
    expect([...sink!.messages[0]!.rcptTo].sort()).toEqual([...EXTERNAL].sort());
  });

  it('a raw message whose header is CR-only with LF lines after it is refused in every mode: nodemailer\'s stream transport deletes the CRs and the LF lines become header fields', async () => {
    const raw = `From: sales@corp.example\rTo: boss@corp.example\rSubject: s\r\rx\nCc: ${EXTERNAL.join(', ')}\n\nbody\n`;
    for (const onViolation of ['block', 'bcc'] as const) {
      const written: string[] = [];
      const t = nodemailer.createTransport({ streamTransport: true, buffer: true });
      t.use('compile', mailguard({ policy: POLICY, onViolation }));
      const err = await t
        .sendMail({ raw, envelope: { from: 'sales@corp.example', to: EXTERNAL } })
        .then((info) => written.push(String((info as { message: Buffer }).message)))
        .catch((e: unknown) => e);
      expect(written).toEqual([]);
      expect((err as { findings?: Array<{ code: string; args: { problem?: string } }> }).findings?.map((f) => `${f.code}:${f.args.problem}`)).toContain('MALFORMED_HEADER:mixed-line-ends');
    }
  });

  it('block mode looks at the body nodemailer writes, as check does by default: an invitation or .ics attachment showing external attendees is refused (bodyScan: false turns it off)', async () => {
    const ics = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:1@corp.example\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T000000Z\r\nSUMMARY:x\r\nORGANIZER:mailto:sales@corp.example\r\n${EXTERNAL.map((a) => `ATTENDEE;CN=x:mailto:${a}\r\n`).join('')}END:VEVENT\r\nEND:VCALENDAR\r\n`;
    const base = { from: 'sales@corp.example', to: 'boss@corp.example', bcc: EXTERNAL, subject: 'meeting', text: 'see the invitation' };
    for (const extra of [{ icalEvent: { method: 'REQUEST', content: ics } }, { attachments: [{ filename: 'invite.ics', content: ics, contentType: 'text/calendar' }] }]) {
      for (const [policy, refused] of [[{ ...POLICY, bodyScan: DEFAULT_BODY_SCAN }, true], [POLICY, true], [{ ...POLICY, bodyScan: false as const }, false]] as const) {
        const t = nodemailer.createTransport({ streamTransport: true, buffer: true });
        t.use('compile', mailguard({ policy, onViolation: 'block' }));
        const outcome = await t.sendMail({ ...base, ...extra }).catch((e: unknown) => e);
        if (refused) expect((outcome as { findings?: Array<{ code: string }> }).findings?.map((f) => f.code)).toContain('EXPOSED_ATTENDEES');
        else expect((outcome as { envelope?: { to: string[] } }).envelope?.to).toHaveLength(EXTERNAL.length + 1);
      }
    }
  });

  it.each([
    ['block', { 'Resent-Bcc': EXTERNAL.join(', ') }],
    ['warn', { 'resent-bcc': EXTERNAL.join(', ') }],
    ['bcc', [{ key: 'Resent-Bcc', value: EXTERNAL.join(', ') }]],
    ['block', { 'Resent-Bcc': EXTERNAL[0]!, 'X-Note': 'kept' }],
  ] as const)('%s mode: a Resent-Bcc given in headers never reaches the recipients (nodemailer writes it as is; the decided bytes are sent) %#', async (mode, headers) => {
    for (const bodyScan of [undefined, false] as const) {
      sink?.messages.splice(0);
      const t = await transporter({ policy: { ...POLICY, ...(bodyScan === false ? { bodyScan } : {}) }, onViolation: mode });
      const info = await t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', subject: 'resent', text: 'hi', headers: headers as Record<string, string> });
      const got = sink!.messages.at(-1)!;
      expect(header(got)).not.toMatch(/resent-bcc/i);
      for (const a of EXTERNAL) expect(got.raw.toString('utf8')).not.toContain(a);
      expect(header(got)).toMatch(/^To: boss@corp\.example$/m);
      expect(got.rcptTo).toEqual(['boss@corp.example']);
      expect(info.accepted).toEqual(['boss@corp.example']);
      if (!Array.isArray(headers) && 'X-Note' in headers) expect(header(got)).toMatch(/^X-Note: kept$/m);
    }
  });

  it('a Bcc given in headers beside a Resent-Bcc still receives the message: dropping the fields must not drop the recipients nodemailer read from them', async () => {
    for (const mode of ['block', 'bcc'] as const) {
      const t = await transporter({ policy: POLICY, onViolation: mode });
      await t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', subject: 'resent', text: 'hi', headers: { Bcc: 'audit@corp.example', 'Resent-Bcc': EXTERNAL.join(', ') } });
      const got = sink!.messages.at(-1)!;
      expect(header(got), mode).not.toMatch(/^(resent-)?bcc:/im);
      expect([...got.rcptTo].sort(), mode).toEqual(['audit@corp.example', 'boss@corp.example']);
    }
  });

  it('attachments given by path are read as nodemailer reads them: an ordinary one is sent, an invitation by path showing external attendees is refused', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-plugin-path-'));
    try {
      const report = path.join(dir, 'report.txt');
      await writeFile(report, 'quarterly numbers\n');
      const invite = path.join(dir, 'invite.ics');
      await writeFile(invite, `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:2@corp.example\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T000000Z\r\nSUMMARY:x\r\nORGANIZER:mailto:sales@corp.example\r\n${EXTERNAL.map((a) => `ATTENDEE;CN=x:mailto:${a}\r\n`).join('')}END:VEVENT\r\nEND:VCALENDAR\r\n`);
      const t = nodemailer.createTransport({ streamTransport: true, buffer: true });
      t.use('compile', mailguard({ policy: POLICY }));
      const base = { from: 'sales@corp.example', to: 'boss@corp.example', subject: 'files', text: 'attached' };
      const sent = (await t.sendMail({ ...base, attachments: [{ path: report }] })) as { message: Buffer };
      expect(sent.message.toString()).toContain('cXVhcnRlcmx5IG51bWJlcnMK');
      const refused = await t.sendMail({ ...base, bcc: EXTERNAL, attachments: [{ path: invite, contentType: 'text/calendar' }] }).catch((e: unknown) => e);
      expect((refused as { findings?: Array<{ code: string }> }).findings?.map((f) => f.code)).toContain('EXPOSED_ATTENDEES');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Composing the message to check it reads a stream; nodemailer's own build then found it used
  // up (ESTREAM). Stream contents are read once into Buffers that both builds use.
  it('content given as streams is checked and sent: an ordinary attachment and text arrive whole, a list in a streamed CSV is refused', async () => {
    const t = await transporter({ policy: POLICY });
    const csv = `name,email\n${Array.from({ length: 12 }, (_, i) => `p${i},p${i}@org${i}.test`).join('\n')}\n`;
    const attachments = [{ filename: 'report.txt', content: Readable.from([Buffer.from('quarterly '), Buffer.from('numbers\n')]) }];
    const base = { from: 'sales@corp.example', to: 'boss@corp.example', subject: 'files' };
    await t.sendMail({ ...base, text: Readable.from(['see ', 'attached']), attachments });
    const got = sink!.messages.at(-1)!.raw.toString('utf8');
    expect(got).toContain('cXVhcnRlcmx5IG51bWJlcnMK');
    expect(got).toContain('see attached');
    // The caller's attachment objects are left as they were.
    expect(typeof (attachments[0]!.content as Readable).pipe).toBe('function');
    const strict = await transporter({ policy: { ...POLICY, rules: { ADDRESS_LIST_IN_BODY: 'error' } } });
    const refused = await strict.sendMail({ ...base, text: 'attached', attachments: [{ filename: 'customers.csv', content: Readable.from([csv]) }] }).catch((e: unknown) => e);
    expect((refused as { code?: string }).code).toBe('EEXPOSED');
    expect((refused as { findings?: Array<{ code: string }> }).findings?.map((f) => f.code)).toContain('ADDRESS_LIST_IN_BODY');
    const invite = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:3@corp.example\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T000000Z\r\nSUMMARY:x\r\nORGANIZER:mailto:sales@corp.example\r\n${EXTERNAL.map((a) => `ATTENDEE;CN=x:mailto:${a}\r\n`).join('')}END:VEVENT\r\nEND:VCALENDAR\r\n`;
    const held = await t.sendMail({ ...base, text: 'x', icalEvent: { method: 'REQUEST', content: Readable.from([invite]) } }).catch((e: unknown) => e);
    expect((held as { findings?: Array<{ code: string }> }).findings?.map((f) => f.code)).toContain('EXPOSED_ATTENDEES');
    expect(sink!.messages).toHaveLength(1);
  });

  // nodemailer takes a stream wherever it takes content: a descriptor's `raw` (a whole MIME part)
  // as well as its `content`, and `attachments` or `alternatives` as one object as well as a list.
  // Composing the message to check it read such a stream, and nodemailer's own build then failed
  // (ESTREAM) on a message that was clean.
  const part = (type: string, body: string) => () => Readable.from([`Content-Type: ${type}\r\nContent-Disposition: attachment; filename=report.txt\r\n\r\n${body}\r\n`]);
  it.each([
    ['an attachment as a raw MIME part', () => ({ attachments: [{ raw: part('text/plain', 'quarterly numbers')() }] })],
    ['an alternative as a raw MIME part', () => ({ alternatives: [{ raw: part('text/plain', 'quarterly numbers')() }] })],
    ['the html body as a raw MIME part', () => ({ html: { raw: part('text/html', '<p>quarterly numbers</p>')() } })],
    ['one attachment object, not a list', () => ({ attachments: { filename: 'report.txt', content: Readable.from(['quarterly numbers\n']) } })],
    ['one alternative object, not a list', () => ({ alternatives: { contentType: 'text/plain', content: Readable.from(['quarterly numbers\n']) } })],
  ])('a stream wherever nodemailer takes content is read once, checked and sent whole: %s', async (_name, content) => {
    const t = await transporter({ policy: POLICY });
    await t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', subject: 'files', text: 'see attached', ...content() } as Parameters<typeof t.sendMail>[0]);
    expect(sink!.messages.at(-1)!.raw.toString('utf8')).toMatch(/quarterly numbers|cXVhcnRlcmx5IG51bWJlcnM/);
  });

  // Content by URL or path is read by nodemailer when it builds the message: the check's build and
  // the send's build each read it, and a server (or a file) can answer differently the second time.
  // The bytes checked are the bytes sent: one fetch, and what it returned is what arrives.
  it.each([
    ['an attachment by URL', (url: string) => ({ text: 'see attached', attachments: [{ filename: 'report.csv', href: url }] })],
    ['an alternative by URL', (url: string) => ({ text: 'see attached', alternatives: [{ contentType: 'text/plain; charset=utf-8', href: url }] })],
    ['the html body by URL', (url: string) => ({ html: { href: url } })],
    // A URL inside a descriptor's content or raw, or in one attachment object given without a list.
    ['an attachment whose content is a URL', (url: string) => ({ text: 'see attached', attachments: [{ filename: 'report.csv', content: { href: url } }] })],
    ['an attachment as a raw MIME part by URL', (url: string) => ({ text: 'see attached', attachments: [{ raw: { href: url } }] })],
    ['an alternative as a raw MIME part by URL', (url: string) => ({ text: 'see attached', alternatives: [{ raw: { href: url } }] })],
    ['the html body whose content is a URL', (url: string) => ({ html: { content: { href: url } } })],
    ['one attachment object by URL, not a list', (url: string) => ({ text: 'see attached', attachments: { filename: 'report.csv', href: url } })],
  ])('%s is fetched once, and the checked content is what is sent', async (_name, content) => {
    const { createServer } = await import('node:http');
    let requests = 0;
    const list = `name,email\n${Array.from({ length: 12 }, (_, i) => `p${i},p${i}@org${i}.test`).join('\n')}\n`;
    const server = createServer((_req, res) => {
      requests++;
      res.end(requests === 1 ? 'quarterly numbers, nothing else\n' : list);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/report.csv`;
      const t = await transporter({ policy: { ...POLICY, rules: { ADDRESS_LIST_IN_BODY: 'error' } } });
      await t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', subject: 'files', ...(content(url) as object) });
      expect(requests).toBe(1);
      const got = sink!.messages.at(-1)!.raw.toString('utf8');
      expect(got).not.toMatch(/p3@org3|cDMsc|cDMs/);
      expect(got).toMatch(/quarterly numbers|cXVhcnRlcmx5IG51bWJlcnM/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('an attachment by path is read once: a file changed after the check is sent as it was checked', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-plugin-path-'));
    try {
      const file = path.join(dir, 'report.txt');
      await writeFile(file, 'quarterly numbers, nothing else\n');
      const t = await transporter({ policy: POLICY });
      // A second compile plugin, run after mailguard's check and before nodemailer builds the message, changes the file.
      t.use('compile', (_mail: unknown, done: (err?: Error | null) => void) => {
        writeFile(file, `changed: ${EXTERNAL.join(', ')}\n`).then(() => done(), done);
      });
      await t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', subject: 'files', text: 'x', attachments: [{ path: file }] });
      const got = sink!.messages.at(-1)!.raw.toString('utf8');
      expect(got).toContain(Buffer.from('quarterly numbers, nothing else\n').toString('base64').slice(0, 20));
      expect(got).not.toContain(Buffer.from('changed: ').toString('base64').slice(0, 8));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('dropping a Resent-Bcc keeps what nodemailer adds itself: List-*, priority and X-Mailer fields reach the recipients', async () => {
    const t = await transporter({ policy: POLICY });
    await t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', subject: 'news', text: 'hi', priority: 'high', xMailer: 'app 1.0', list: { unsubscribe: 'https://corp.example/u' }, headers: { 'Resent-Bcc': EXTERNAL.join(', ') } });
    const got = header(sink!.messages.at(-1)!);
    expect(got).not.toMatch(/resent-bcc/i);
    expect(got).toMatch(/^List-Unsubscribe: <https:\/\/corp\.example\/u>$/m);
    expect(got).toMatch(/^X-Priority: 1 \(Highest\)$/m);
    expect(got).toMatch(/^X-Mailer: app 1\.0$/m);
  });
});

describe('registered where it cannot decide what is sent', () => {
  // A 'stream' plugin runs after nodemailer compiled the message from mail.data: whatever the
  // plugin then writes into mail.data (the bcc rewrite, a raw message's stripped Bcc field) is
  // never sent. It fails every sendMail, clearly, instead of passing the message as written.
  it.each([
    ['bcc mode, an exposed list', 'bcc', { to: EXTERNAL }],
    ['block mode, a raw message whose Bcc field it would strip', 'block', { raw: `From: sales@corp.example\r\nTo: boss@corp.example\r\nBcc: ${EXTERNAL.join(', ')}\r\nSubject: r\r\n\r\nhi\r\n`, envelope: { from: 'sales@corp.example', to: ['boss@corp.example', ...EXTERNAL] } }],
    ['block mode, a clean message', 'block', { to: 'boss@corp.example' }],
  ] as const)('as a stream plugin (%s): sendMail fails with EUSAGE naming the compile step, nothing reaches the server', async (_name, onViolation, data) => {
    sink ??= await startSink();
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
    transports.push(t);
    t.use('stream', mailguard({ policy: POLICY, onViolation }));
    const err = await t.sendMail({ from: 'sales@corp.example', subject: 's', text: 'hi', ...(data as object) }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EUSAGE');
    expect((err as Error).message).toMatch(/'compile'/);
    expect(sink.attempts).toBe(0);
  });
});

describe('an error inside the plugin fails that sendMail, and only it', () => {
  // The caller's authUser function runs inside the plugin. Thrown where nodemailer calls the
  // plugin, it escaped: sendMail threw instead of rejecting, and behind a compile plugin that
  // finishes later (a template filler) it was an uncaught exception and sendMail never settled.
  // A throw of something that is no Error (undefined) must not read as "passed" either.
  it.each([
    ['an Error', () => new Error('no user for this message')],
    ['undefined', () => undefined],
  ])('authUser throwing %s: sendMail rejects with an Error, nothing is sent, the process goes on', async (_name, thrown) => {
    sink ??= await startSink();
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      for (const before of [false, true]) {
        const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
        transports.push(t);
        if (before) t.use('compile', (_mail, done) => setTimeout(() => done(), 5));
        t.use(
          'compile',
          mailguard({
            policy: POLICY,
            authUser: () => {
              throw thrown();
            },
          }),
        );
        let outcome: unknown;
        try {
          outcome = await Promise.race([t.sendMail({ from: 'sales@corp.example', to: 'boss@corp.example', text: 'hi' }).then(() => 'sent', (e: unknown) => e), new Promise((r) => setTimeout(() => r('never settled'), 2000))]);
        } catch (e) {
          outcome = `sendMail threw: ${String(e)}`;
        }
        expect(outcome, `${before ? 'behind an async plugin' : 'first plugin'}`).toBeInstanceOf(Error);
      }
      expect(uncaught).toEqual([]);
      expect(sink.attempts).toBe(0);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

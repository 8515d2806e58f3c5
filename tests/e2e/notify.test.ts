// mailguard notify against the recording SMTP sink: from an incident found by audit, every
// affected person gets exactly one notice showing only themselves; a crash (SIGKILL) in the middle
// and a rerun send no duplicates; templates that show a list are refused whatever the policy;
// masked incident files are refused; --dry-run and -o send nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startSink, type Sink } from '../helpers/smtp-sink.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-notify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const POLICY = ['--internal-domain', 'corp.example'];

const EXTERNAL = Array.from({ length: 10 }, (_, i) => `person${i}@org${i % 4}.test`);
const INCIDENT = [
  'From: Sales <sales@corp.example>',
  `To: ${EXTERNAL.slice(0, 6).map((a, i) => (i === 2 ? `"Doe, Jane" <${a}>` : a)).join(', ')}`,
  `Cc: ${EXTERNAL.slice(6).join(', ')}, colleague@corp.example`,
  'Subject: Price list',
  'Date: Tue, 03 Feb 2026 10:00:00 +0000',
  'Message-ID: <exposed-1@corp.example>',
  '',
  'Prices attached.',
  '',
].join('\r\n');

const TEMPLATE = [
  'From: Data Protection <dpo@corp.example>',
  'Subject: About our email of 3 February',
  'Reply-To: dpo@corp.example',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'On 3 February we sent an email that showed your address to other recipients.',
  'We are sorry. Questions: write to dpo@corp.example.',
  '',
].join('\r\n');

let incidentCsv: string;
let incidentJson: string;
let sink: Sink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

function headerOf(raw: Buffer): string {
  const text = raw.toString('latin1');
  return text.slice(0, text.search(/\r?\n\r?\n/));
}

/** The visible recipients of a delivered notice, and whether a Bcc field is there. */
function shown(raw: Buffer): { to: string; cc: boolean; bcc: boolean } {
  const h = headerOf(raw).replace(/\r?\n[ \t]+/g, ' ');
  return { to: /^To: *(.*)$/im.exec(h)?.[1] ?? '', cc: /^Cc:/im.test(h), bcc: /^Bcc:/im.test(h) };
}

beforeAll(async () => {
  const mail = path.join(tmp, 'sent');
  rmSync(mail, { recursive: true, force: true });
  writeFileSync(path.join(tmp, 'incident.eml'), INCIDENT);
  writeFileSync(path.join(tmp, 'notice.eml'), TEMPLATE);
  const audit = JSON.parse((await runCli(['audit', path.join(tmp, 'incident.eml'), ...POLICY, '--format', 'json'])).stdout);
  const id = audit.incidents[0].id;
  incidentCsv = path.join(tmp, 'affected.csv');
  incidentJson = path.join(tmp, 'affected.json');
  const csv = await runCli(['audit', path.join(tmp, 'incident.eml'), ...POLICY, '--incident', id, '--no-redact', '--format', 'csv', '-o', incidentCsv]);
  expect(csv.code).toBe(1);
  const json = await runCli(['audit', path.join(tmp, 'incident.eml'), ...POLICY, '--incident', id, '--no-redact', '--format', 'json', '-o', incidentJson]);
  expect(json.code).toBe(1);
});

describe('mailguard notify', () => {
  it('sends every external person exactly one notice that shows only them (CSV and JSON incident files)', async () => {
    for (const file of [incidentCsv, incidentJson]) {
      sink = await startSink();
      const journal = path.join(tmp, `j-${path.basename(file)}`);
      const r = await runCli(['notify', '--incident-file', file, '--template', path.join(tmp, 'notice.eml'), '--smtp', sink.url, '--journal', journal, ...POLICY]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/10 people to notify: 10 sent\. 1 internal address\(es\) left out/);
      expect(sink.messages).toHaveLength(10);
      expect(sink.messages.map((m) => m.rcptTo.join()).sort()).toEqual([...EXTERNAL].sort());
      for (const m of sink.messages) {
        const s = shown(m.raw);
        expect(s.to).toBe(m.rcptTo[0]);
        expect(s.cc).toBe(false);
        expect(s.bcc).toBe(false);
        expect(m.mailFrom).toBe('dpo@corp.example');
        // Nobody else's address anywhere in the bytes.
        for (const other of EXTERNAL.filter((a) => a !== m.rcptTo[0])) expect(m.raw.toString('latin1')).not.toContain(other);
        expect(m.raw.toString('latin1')).toContain('We are sorry.');
      }
      // A second run sends nothing more.
      const again = await runCli(['notify', '--incident-file', file, '--template', path.join(tmp, 'notice.eml'), '--smtp', sink.url, '--journal', journal, ...POLICY]);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/10 already sent \(skipped\)/);
      expect(sink.messages).toHaveLength(10);
      await sink.close();
      sink = undefined;
    }
  });

  it('a crash (SIGKILL) after some notices and a rerun: each person exactly once', async () => {
    const journal = path.join(tmp, 'crash.journal');
    let child: ReturnType<typeof spawn> | undefined;
    // The 5th notice reaching the sink kills mailguard there and is refused (never accepted): a
    // crash at a known point, the first four accepted and journaled before the fifth started.
    let killed = false;
    sink = await startSink({
      data: (_m, index) => {
        if (index === 4 && !killed) {
          killed = true;
          child?.kill('SIGKILL');
          return 451;
        }
        return undefined;
      },
    });
    const args = [BIN, 'notify', '--incident-file', incidentCsv, '--template', path.join(tmp, 'notice.eml'), '--smtp', sink.url, '--journal', journal, ...POLICY];
    const first = await new Promise<number | null>((resolve) => {
      child = spawn(process.execPath, args, { stdio: 'ignore' });
      child.on('close', (code, signal) => resolve(signal === 'SIGKILL' ? -9 : code));
    });
    expect(first).toBe(-9);
    expect(sink.messages).toHaveLength(4);
    const rerun = await runCli(args.slice(1));
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(/6 sent, 4 already sent \(skipped\)/);
    const counts = new Map<string, number>();
    for (const m of sink.messages) for (const r of m.rcptTo) counts.set(r, (counts.get(r) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...EXTERNAL].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('a person the relay refuses is reported (exit 2, JSON) and only they are retried by a rerun', async () => {
    const journal = path.join(tmp, 'refused.journal');
    let refuse = true;
    sink = await startSink({ rcpt: (a) => (refuse && a === EXTERNAL[5] ? 550 : undefined) });
    const args = ['notify', '--incident-file', incidentCsv, '--template', path.join(tmp, 'notice.eml'), '--smtp', sink.url, '--journal', journal, '--format', 'json', ...POLICY];
    const r = await runCli(args);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toMatchObject({ people: 10, sent: 9, failed: 1, skipped: 0 });
    expect(doc.results.find((x: any) => x.status === 'failed').person).toBe('p***@org1.test');
    expect(sink.messages).toHaveLength(9);
    refuse = false;
    const again = await runCli(args);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).summary).toMatchObject({ sent: 1, skipped: 9, failed: 0 });
    expect(sink.messages.map((m) => m.rcptTo[0]).sort()).toEqual([...EXTERNAL].sort());
  });

  it('refuses a template that shows any recipient list, whatever the policy says', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['to.eml', TEMPLATE.replace('Subject:', 'To: a@x.test\r\nSubject:'), /names recipients \(to\)/],
      ['cc-internal.eml', TEMPLATE.replace('Subject:', 'Cc: colleague@corp.example\r\nSubject:'), /names recipients \(cc\)/],
      ['bcc.eml', TEMPLATE.replace('Subject:', 'Bcc: person0@org0.test\r\nSubject:'), /names recipients \(bcc\)/],
      ['reply.eml', TEMPLATE.replace('Reply-To: dpo@corp.example', 'Reply-To: dpo@corp.example, legal@corp.example'), /reply-to lists 2 addresses/],
      ['body-list.eml', `${TEMPLATE}Also sent to: x1@a.test, x2@b.test, x3@c.test\r\n`, /shows \d+ addresses in its text/],
      ['names-one.eml', `${TEMPLATE}Dear ${EXTERNAL[3]},\r\n`, /address of a person it is sent to/],
    ];
    for (const [name, text, message] of cases) {
      writeFileSync(path.join(tmp, name), text);
      sink = await startSink();
      // Even with every rule off and thresholds at their loosest.
      const r = await runCli(['notify', '--incident-file', incidentCsv, '--template', path.join(tmp, name), '--smtp', sink.url, '--journal', path.join(tmp, `${name}.journal`), '--rule', 'EXPOSED_RECIPIENTS=off', '--warn-at', '1000', '--block-at', '1000']);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(message);
      expect(sink.messages, name).toHaveLength(0);
      await sink.close();
      sink = undefined;
    }
  });

  it('refuses a masked incident file; --dry-run and -o send nothing and show one person per copy', async () => {
    const audit = JSON.parse((await runCli(['audit', path.join(tmp, 'incident.eml'), ...POLICY, '--format', 'json'])).stdout);
    const masked = path.join(tmp, 'masked.csv');
    await runCli(['audit', path.join(tmp, 'incident.eml'), ...POLICY, '--incident', audit.incidents[0].id, '--format', 'csv', '-o', masked]);
    expect(readFileSync(masked, 'utf8')).toContain('***@');
    const r = await runCli(['notify', '--incident-file', masked, '--template', path.join(tmp, 'notice.eml'), '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/masked addresses/);

    sink = await startSink();
    const dry = await runCli(['notify', '--incident-file', incidentCsv, '--template', path.join(tmp, 'notice.eml'), '--dry-run', '--no-redact', ...POLICY]);
    expect(dry.code).toBe(0);
    expect(dry.stdout.match(/^would send to /gm)).toHaveLength(10);
    expect(dry.stdout).toContain(`| To: ${EXTERNAL[0]}`);
    const dir = path.join(tmp, 'review');
    const out = await runCli(['notify', '--incident-file', incidentCsv, '--template', path.join(tmp, 'notice.eml'), '-o', dir, '--include-internal', ...POLICY]);
    expect(out.code).toBe(0);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(11);
    const tos = files.map((f) => shown(readFileSync(path.join(dir, f))).to).sort();
    expect(tos).toEqual([...EXTERNAL, 'colleague@corp.example'].sort());
    expect(sink.messages).toHaveLength(0);
  });
});

// One configuration with three profiles (a sensitive clinic team, sales at the top level, press
// with a public list): the same mailing gets each profile's verdict and action through check
// (spawned CLI), send (to a real smtp-server sink), the drop-in sendmail, the proxy with AUTH
// users and the nodemailer plugin. The attack: the clinic's AUTH user writes From: press@ and
// still gets the clinic's (stricter) decision.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profilesForCommand, settingsFromConfig } from '../../src/cli/policy-options.js';
import { mailguard } from '../../src/plugin/nodemailer.js';
import { parseConfig } from '../../src/policy/config.js';
import { hashPassword, parseAuthFile } from '../../src/proxy/auth-file.js';
import { startProxy, type ProxyEvent } from '../../src/proxy/server.js';
import type { TransactionEvent } from '../../src/proxy/session.js';
import { runCli } from '../helpers/cli.js';
import { startSink, type Sink } from '../helpers/smtp-sink.js';
import { runSendmail, scratchDir } from '../sendmail/run-sendmail.js';

const LOGIN = os.userInfo().username;

const CONFIG = {
  internalDomains: ['corp.example'],
  warnAt: 3,
  blockAt: 5,
  onViolation: 'bcc',
  profiles: [
    { name: 'clinic', match: { authUser: ['dr-ann'], envelopeFrom: ['*@clinic.corp.example'], from: ['clinic.corp.example'] }, sensitive: true, blockAt: 2, onViolation: 'block' },
    { name: 'press', match: { authUser: ['press', `${LOGIN}`], envelopeFrom: ['press@corp.example'], from: ['press@corp.example'] }, publicLists: ['*@lists.example.org'] },
  ],
};

/** Four organisations in To, one of them a public list. */
const RECIPIENTS = ['list@lists.example.org', 'ann@a.example', 'bob@b.example', 'cy@c.example'];
const mailing = (from: string) => `From: ${from}\r\nTo: ${RECIPIENTS.join(', ')}\r\nSubject: news\r\nMessage-ID: <m@corp.example>\r\nDate: Fri, 4 Dec 2026 10:00:00 +0000\r\n\r\nHello.\r\n`;

const SENDERS = { clinic: 'ann@clinic.corp.example', sales: 'sam@corp.example', press: 'press@corp.example' } as const;

let dir: string;
let configFile: string;
let sink: Sink;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-profiles-'));
  configFile = path.join(dir, 'mailguard.config.json');
  await writeFile(configFile, JSON.stringify(CONFIG));
  for (const [name, from] of Object.entries(SENDERS)) await writeFile(path.join(dir, `${name}.eml`), mailing(from));
  sink = await startSink();
});

afterAll(async () => {
  await sink?.close();
  await rm(dir, { recursive: true, force: true });
});

const visibleTo = (raw: Buffer) => /^To: (.*)$/m.exec(raw.toString('latin1'))?.[1] ?? '';

describe('check (spawned CLI)', () => {
  it('gives each sender its profile\'s verdict, and names the profile', async () => {
    const r = await runCli(['check', '--config', configFile, '--format', 'json', path.join(dir, 'clinic.eml'), path.join(dir, 'sales.eml'), path.join(dir, 'press.eml')]);
    expect(r.code).toBe(1);
    const results = JSON.parse(r.stdout).results as Array<{ verdict: string; profile: string; findings: Array<{ code: string }> }>;
    expect(results.map((x) => [x.profile, x.verdict])).toEqual([
      ['clinic', 'block'],
      ['default', 'warn'],
      ['press', 'pass'],
    ]);
    expect(results[2]!.findings.map((f) => f.code)).toEqual(['PUBLIC_LIST_POST']);
    const human = await runCli(['check', '--config', configFile, path.join(dir, 'press.eml')]);
    expect(human.stdout).toMatch(/PASS .*press\.eml.*\[profile press\]/);
  });

  it('--auth-user of the clinic with From: press@ blocks as the clinic (clinic+press); --envelope-from does the same', async () => {
    for (const flag of [['--auth-user', 'dr-ann'], ['--envelope-from', 'x@clinic.corp.example']]) {
      const r = await runCli(['check', '--config', configFile, '--format', 'json', ...flag, path.join(dir, 'press.eml')]);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).results[0]).toMatchObject({ profile: 'clinic+press', verdict: 'block' });
    }
    // A press AUTH user writing as press keeps the public post.
    const press = await runCli(['check', '--config', configFile, '--format', 'json', '--auth-user', 'press', path.join(dir, 'press.eml')]);
    expect(JSON.parse(press.stdout).results[0]).toMatchObject({ profile: 'press', verdict: 'pass' });
  });

  it('--explain-policy says which profile, why, and the policy in force (human and JSON)', async () => {
    const r = await runCli(['check', '--config', configFile, '--explain-policy', '--auth-user', 'dr-ann', path.join(dir, 'press.eml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/profile clinic\+press/);
    expect(r.stdout).toMatch(/chosen by the authenticated user dr-ann matches authUser pattern "dr-ann" of profile clinic/);
    expect(r.stdout).toMatch(/held to the stricter of it and press: the author \(From\) press@corp\.example/);
    expect(r.stdout).toMatch(/sensitive: true/);
    expect(r.stdout).toMatch(/onViolation: block/);
    const j = await runCli(['check', '--config', configFile, '--explain-policy', '--format', 'json', path.join(dir, 'sales.eml'), path.join(dir, 'press.eml')]);
    const doc = JSON.parse(j.stdout);
    expect(doc.results.map((x: { profile: string; onViolation: string }) => [x.profile, x.onViolation])).toEqual([
      ['default', 'bcc'],
      ['press', 'bcc'],
    ]);
    expect(doc.results[1].policy.publicLists).toEqual(['*@lists.example.org']);
    expect(doc.results[0].chosenBy).toMatchObject({ attribute: 'from', value: 'sam@corp.example', profile: 'default' });
  });

  it('refuses an invalid profile at start-up, naming the key', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ profiles: [{ name: 'x', match: { from: ['a.example'] }, blockat: 2 }] }));
    const r = await runCli(['check', '--config', bad, path.join(dir, 'press.eml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/profiles\[0\] \("x"\)\.blockat/);
  });
});

describe('fix (spawned CLI)', () => {
  it('names the draft\'s profile; the clinic\'s draft is not fixed with Bcc, the sales draft is', async () => {
    const r = await runCli(['fix', '--config', configFile, '--dry-run', '--format', 'json', '--strategy', 'bcc', path.join(dir, 'clinic.eml'), path.join(dir, 'sales.eml')]);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { profile: string; action: string }) => [x.profile, x.action])).toEqual([
      ['clinic', 'refused'],
      ['default', 'rewritten'],
    ]);
  });
});

describe('audit (spawned CLI)', () => {
  it('names each incident\'s profile and groups incidents by profile', async () => {
    const r = await runCli(['audit', '--config', configFile, '--format', 'json', path.join(dir, 'clinic.eml'), path.join(dir, 'sales.eml'), path.join(dir, 'press.eml')]);
    const doc = JSON.parse(r.stdout);
    expect(doc.incidents.map((i: { profile: string; severity: string }) => [i.profile, i.severity])).toEqual([
      ['clinic', 'error'],
      ['default', 'warning'],
    ]);
    expect(doc.summary.profiles).toEqual([
      { profile: 'clinic', incidents: 1, exposedAddresses: 4 },
      { profile: 'default', incidents: 1, exposedAddresses: 4 },
    ]);
    const human = await runCli(['audit', '--config', configFile, path.join(dir, 'clinic.eml'), path.join(dir, 'sales.eml'), path.join(dir, 'press.eml')]);
    expect(human.stdout).toMatch(/Incidents by profile\n {2}clinic: 1 incident, 4 addresses exposed\n {2}default: 1 incident/);
  });
});

describe('send (spawned CLI, real SMTP sink)', () => {
  it('blocks the clinic, moves sales to Bcc, sends press as written; JSON names each profile', async () => {
    const before = sink.messages.length;
    const r = await runCli(['send', '--config', configFile, '--smtp', sink.url, '--format', 'json', path.join(dir, 'clinic.eml'), path.join(dir, 'sales.eml'), path.join(dir, 'press.eml')]);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { profile: string; action: string; rewrite?: string; onViolation: string }) => [x.profile, x.action, x.rewrite ?? null, x.onViolation])).toEqual([
      ['clinic', 'blocked', null, 'block'],
      ['default', 'sent', 'bcc', 'bcc'],
      ['press', 'sent', null, 'bcc'],
    ]);
    const got = sink.messages.slice(before);
    expect(got).toHaveLength(2);
    expect(visibleTo(got[0]!.raw)).not.toMatch(/a\.example/);
    expect(visibleTo(got[1]!.raw)).toMatch(/ann@a\.example/);
  });

  it('--from of the clinic holds a press From to the clinic\'s policy', async () => {
    const r = await runCli(['send', '--config', configFile, '--smtp', sink.url, '--from', 'ann@clinic.corp.example', '--format', 'json', path.join(dir, 'press.eml')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ profile: 'clinic+press', action: 'blocked' });
  });
});

describe('the drop-in sendmail', () => {
  it('the login user selects press (sent as written); a clinic envelope sender is held to the clinic', async () => {
    const scratch = await scratchDir({ ...CONFIG, smtp: sink.url });
    try {
      const before = sink.messages.length;
      const press = await runSendmail(['-t', '-i', '-f', 'press@corp.example'], { input: mailing(SENDERS.press), cwd: scratch.dir });
      expect(press.code).toBe(0);
      expect(sink.messages.length).toBe(before + 1);
      expect(visibleTo(sink.messages.at(-1)!.raw)).toMatch(/ann@a\.example/);
      const clinic = await runSendmail(['-t', '-i', '-f', 'ann@clinic.corp.example'], { input: mailing(SENDERS.press), cwd: scratch.dir });
      expect(clinic.code).toBe(65);
      expect(clinic.stderr).toMatch(/blocked by policy \(profile press\+clinic\)/);
      expect(sink.messages.length).toBe(before + 1);
    } finally {
      await scratch.cleanup();
    }
  });
});

describe('proxy with AUTH users', () => {
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  const events: ProxyEvent[] = [];
  beforeAll(async () => {
    const hash = await hashPassword('pw');
    const users = parseAuthFile(['dr-ann', 'press', 'sam'].map((u) => `${u}:${hash}`).join('\n'), 'users');
    const settings = settingsFromConfig({ config: parseConfig(CONFIG, 'test') }, {});
    const profiles = profilesForCommand(settings.profiles, undefined, undefined, settings.config);
    proxy = await startProxy({ port: 0, upstream: sink.url, policy: settings.policy, onViolation: 'bcc', profiles, auth: users, log: (e) => events.push(e) });
  });
  afterAll(async () => proxy?.stop());

  const send = (user: string, from: string) =>
    nodemailer
      .createTransport({ host: '127.0.0.1', port: proxy.port, secure: false, ignoreTLS: true, auth: { user, pass: 'pw' } })
      .sendMail({ envelope: { from, to: RECIPIENTS }, raw: mailing(from) })
      .then(
        () => 'accepted',
        (err: { responseCode?: number }) => `refused ${err.responseCode}`,
      );
  const lastTransaction = () => events.filter((e): e is TransactionEvent => e.event === 'transaction').at(-1)!;

  it.each([
    ['dr-ann', SENDERS.clinic, 'refused 550', 'clinic', 'blocked'],
    ['sam', SENDERS.sales, 'accepted', 'default', 'rewritten-bcc'],
    ['press', SENDERS.press, 'accepted', 'press', 'relayed'],
    // The attack: the clinic's user writes From: press@ (and MAIL FROM press@): still the clinic's decision.
    ['dr-ann', SENDERS.press, 'refused 550', 'clinic+press', 'blocked'],
    // A sales user writing as press does not get the press office's public list.
    ['sam', SENDERS.press, 'accepted', 'default+press', 'rewritten-bcc'],
  ])('AUTH %s, From %s: %s under profile %s (%s)', async (user, from, outcome, profile, action) => {
    const before = sink.messages.length;
    expect(await send(user, from)).toBe(outcome);
    const t = lastTransaction();
    expect(t).toMatchObject({ user, profile, action });
    expect(sink.messages.length).toBe(before + (outcome === 'accepted' ? 1 : 0));
    if (action === 'rewritten-bcc') expect(visibleTo(sink.messages.at(-1)!.raw)).not.toMatch(/a\.example/);
    if (action === 'relayed') expect(visibleTo(sink.messages.at(-1)!.raw)).toMatch(/ann@a\.example/);
  });
});

describe('the nodemailer plugin', () => {
  const transport = (authUser?: string) => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
    const { profiles, onViolation, ...policy } = CONFIG;
    t.use('compile', mailguard({ policy, onViolation: onViolation as 'bcc', profiles, ...(authUser ? { authUser } : {}) }));
    return t;
  };
  const send = (from: string, authUser?: string) =>
    transport(authUser)
      .sendMail({ from, to: RECIPIENTS, subject: 'news', text: 'Hello.' })
      .then(
        () => 'sent',
        (err: { code?: string; result?: { profile?: string } }) => `${err.code} ${err.result?.profile}`,
      );

  it.each([
    [SENDERS.clinic, undefined, 'EEXPOSED clinic', undefined],
    [SENDERS.sales, undefined, 'sent', 'bcc'],
    [SENDERS.press, undefined, 'sent', 'visible'],
    [SENDERS.press, 'dr-ann', 'EEXPOSED clinic+press', undefined],
  ])('From %s (auth user %s): %s', async (from, authUser, outcome, delivered) => {
    const before = sink.messages.length;
    expect(await send(from, authUser)).toBe(outcome);
    expect(sink.messages.length).toBe(before + (delivered ? 1 : 0));
    if (delivered === 'bcc') expect(visibleTo(sink.messages.at(-1)!.raw)).not.toMatch(/a\.example/);
    if (delivered === 'visible') expect(visibleTo(sink.messages.at(-1)!.raw)).toMatch(/ann@a\.example/);
  });
});

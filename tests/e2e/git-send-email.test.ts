// git send-email (Debian git-email) sending a patch series to several external addresses through
// mailguard-sendmail: blocked by policy, delivered as Bcc, or split, as configured. What the
// recording SMTP server on 127.0.0.1 received is the assertion.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSink, type Sink } from '../helpers/smtp-sink.js';
import { cleanEnv, scratchDir, SENDMAIL_BIN } from '../sendmail/run-sendmail.js';

const execFileP = promisify(execFile);

let work: { dir: string; cleanup: () => Promise<void> };
let repo: string;
let patches: string[];
let sink: Sink | undefined;

const EXTERNAL = ['maintainer@kernel-project.test', 'reviewer@company-a.test', 'tester@company-b.test'];
const LIST = 'dev-list@lists.project.test';

/** git without the machine's own configuration. */
function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // The administrator's wrapper names the system configuration; none is read from the repository.
  return cleanEnv({ MAILGUARD_SENDMAIL_CONFIG: path.join(work.dir, 'sendmail.json'), HOME: work.dir, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: '2026-11-29T04:00:00Z', GIT_COMMITTER_DATE: '2026-11-29T04:00:00Z', ...extra });
}

const git = (args: string[], extra?: NodeJS.ProcessEnv) => execFileP('git', args, { cwd: repo, env: gitEnv(extra) });

/** Runs git send-email; resolves with its status and output, whether it succeeds or not. */
async function sendEmail(args: string[], gitConfig: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await git([...gitConfig.flatMap((c) => ['-c', c]), 'send-email', '--confirm=never', '--suppress-cc=all', '--from=Dev <dev@corp.example>', ...args, ...patches]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const sendmailCmd = `"${process.execPath}" "${SENDMAIL_BIN}"`;
const recipientArgs = [...EXTERNAL.map((a) => `--to=${a}`), `--cc=${LIST}`, '--cc=lead@corp.example'];

async function configure(config: object): Promise<void> {
  sink = await startSink();
  await writeFile(path.join(work.dir, 'sendmail.json'), JSON.stringify({ internalDomains: ['corp.example'], warnAt: 2, blockAt: 3, smtp: sink.url, ...config }));
}

beforeAll(async () => {
  work = await scratchDir();
  repo = path.join(work.dir, 'repo');
  await mkdir(repo);
  await git(['init', '-q']);
  await git(['config', 'user.name', 'Dev']);
  await git(['config', 'user.email', 'dev@corp.example']);
  for (let i = 1; i <= 3; i++) {
    await writeFile(path.join(repo, 'file.txt'), Array.from({ length: i }, (_, k) => `line ${k + 1}\n.\n`).join(''));
    await git(['add', 'file.txt']);
    await git(['commit', '-q', '-m', `change ${i}`]);
  }
  const out = path.join(work.dir, 'patches');
  await git(['format-patch', '-q', '-3', '--cover-letter', '-o', out]);
  patches = (await readdir(out)).sort().map((f) => path.join(out, f));
  // git send-email refuses a cover letter with the template subject.
  const cover = await readFile(patches[0]!, 'utf8');
  await writeFile(patches[0]!, cover.replace('*** SUBJECT HERE ***', 'Three small changes').replace('*** BLURB HERE ***', 'Please review.'));
}, 60_000);

afterEach(async () => {
  await sink?.close();
  sink = undefined;
});
afterAll(async () => work?.cleanup());

describe('git send-email through mailguard-sendmail', () => {
  it('git-email and Mail::Address are installed (.ci/run installs git-email and libmailtools-perl)', async () => {
    expect(existsSync('/usr/lib/git-core/git-send-email')).toBe(true);
    await expect(execFileP('perl', ['-MMail::Address', '-e', '1']), 'Mail::Address (Debian libmailtools-perl) is missing').resolves.toBeDefined();
    expect(patches).toHaveLength(4);
  });

  it('blocked by policy: git send-email stops, the relay receives nothing', async () => {
    await configure({});
    const r = await sendEmail([...recipientArgs, `--sendmail-cmd=${sendmailCmd}`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('blocked by policy');
    expect(r.stderr).toContain('EXPOSED_RECIPIENTS');
    // git send-email 2.39 reports the failed close() with a stale Perl error, not the status; 65 is asserted in sendmail.test.ts.
    expect(sink!.attempts).toBe(0);
  });

  it('onViolation bcc (sendemail.sendmailCmd): the series arrives, threaded, nobody external visible', async () => {
    await configure({ onViolation: 'bcc' });
    const r = await sendEmail([...recipientArgs, '--bcc=archive@corp.example'], [`sendemail.sendmailCmd=${sendmailCmd}`]);
    expect(r.stderr).toContain('moved 4 external recipients to Bcc');
    expect(r.code).toBe(0);
    const got = sink!.messages;
    expect(got).toHaveLength(4);
    const ids: string[] = [];
    for (const m of got) {
      const raw = m.raw.toString('utf8');
      expect(m.mailFrom).toBe('dev@corp.example');
      expect([...m.rcptTo].sort()).toEqual([...EXTERNAL, LIST, 'archive@corp.example', 'lead@corp.example'].sort());
      expect(raw).toMatch(/^To: undisclosed-recipients:;\r$/m);
      expect(raw).toMatch(/^Cc: lead@corp\.example\r$/m);
      expect(raw).not.toMatch(/\.test|^Bcc:/im);
      ids.push(/^Message-Id: (<[^>]+>)/im.exec(raw)![1]!);
      if (ids.length > 1) expect(raw).toContain(`In-Reply-To: ${ids[0]}`);
    }
    // The patches arrive intact: their lone "." lines too (git passes -i).
    expect(got[3]!.raw.toString('utf8')).toContain('+line 3\r\n+.\r\n');
    expect(got.map((m) => /^Subject: (.*)\r$/m.exec(m.raw.toString('utf8'))![1]).join('|')).toBe('[PATCH 0/3] Three small changes|[PATCH 1/3] change 1|[PATCH 2/3] change 2|[PATCH 3/3] change 3');
  });

  it('onViolation split: every patch goes to every recipient as a copy of their own', async () => {
    await configure({ sendmail: { onViolation: 'split' } });
    const r = await sendEmail([...recipientArgs, `--sendmail-cmd=${sendmailCmd}`]);
    expect(r.code).toBe(0);
    const got = sink!.messages;
    expect(got).toHaveLength(4 * 5);
    const perRecipient = new Map<string, number>();
    for (const m of got) {
      expect(m.rcptTo).toHaveLength(1);
      const who = m.rcptTo[0]!;
      perRecipient.set(who, (perRecipient.get(who) ?? 0) + 1);
      const raw = m.raw.toString('utf8');
      const shown = raw.match(/[\w.-]+@[\w.-]+\.test/g) ?? [];
      // Each external copy shows only its own recipient; lead@corp.example's copy shows nobody external.
      expect(new Set(shown)).toEqual(new Set(who.endsWith('.test') ? [who] : []));
    }
    expect([...perRecipient.entries()].sort()).toEqual([...EXTERNAL, LIST, 'lead@corp.example'].sort().map((a) => [a, 4]));
  });

  it('a series to internal addresses only passes untouched', async () => {
    await configure({});
    const r = await sendEmail(['--to=lead@corp.example', '--cc=team@corp.example', `--sendmail-cmd=${sendmailCmd}`]);
    expect(r.code).toBe(0);
    expect(sink!.messages).toHaveLength(4);
    expect(sink!.messages[1]!.raw.toString('utf8')).toMatch(/^To: lead@corp\.example\r$/m);
  });
});

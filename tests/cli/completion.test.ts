// `mailguard completion bash|zsh|fish`: each script is checked by its own shell (syntax), and
// completes real command lines there: bash through the completion function with COMP_WORDS,
// fish through `complete -C`, zsh by loading it under compinit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli, runProcess } from '../helpers/cli.js';

const COMMANDS = ['check', 'init', 'explain', 'fix', 'send', 'sendmail', 'proxy', 'milter', 'audit', 'notify', 'completion'];
const scripts: Record<string, string> = {};
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-completion-'));
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await runCli(['completion', shell]);
    expect(r.code, r.stderr).toBe(0);
    scripts[shell] = r.stdout;
    writeFileSync(path.join(tmp, `mailguard.${shell}`), r.stdout);
  }
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('mailguard completion', () => {
  it('an unknown shell is a usage error (exit 2) naming the choices', async () => {
    const r = await runCli(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bash, zsh, fish/);
  });

  it.each([
    ['bash', ['-n']],
    ['zsh', ['-n']],
    ['fish', ['--no-execute']],
  ])('%s accepts the script (%j)', async (shell, flags) => {
    const r = await runProcess(shell, [...flags, path.join(tmp, `mailguard.${shell}`)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  // sendmail's argv is sendmail's own (its --help is not commander's), so it is not listed here.
  it.each(COMMANDS.filter((c) => c !== 'sendmail'))('every option in `mailguard %s --help` is in each script', async (cmd) => {
    const help = await runCli([cmd, '--help']);
    const optionLines = help.stdout.slice(help.stdout.indexOf('Options:')).split(/\n\n/)[0]!;
    const declared = [...optionLines.matchAll(/^\s+(?:-\w, )?(--[a-z][\w-]*)/gm)].map((m) => m[1]!);
    expect(declared.length).toBeGreaterThan(0);
    for (const f of declared) {
      expect(scripts.bash).toContain(f);
      expect(scripts.zsh).toContain(f);
      expect(scripts.fish).toContain(`-l ${f.slice(2)}`);
    }
  });
});

/** What bash's completion function offers for `words`, the last being the word under the cursor. */
async function bashComplete(words: string[]): Promise<string[]> {
  const script = `source ${path.join(tmp, 'mailguard.bash')}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_mailguard
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = await runProcess('bash', ['-c', script], { cwd: FIXTURES });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('bash completes', () => {
  it.each([
    [['mailguard', ''], COMMANDS],
    [['mailguard', 'c'], ['check', 'completion']],
    [['mailguard', 'au'], ['audit']],
    [['mailguard', 'check', '--form'], ['--format']],
    [['mailguard', 'check', '--format', ''], ['github', 'human', 'json', 'junit', 'sarif']],
    [['mailguard', 'check', '-f', 'j'], ['json', 'junit']],
    [['mailguard', 'fix', '--strat'], ['--strategy']],
    [['mailguard', 'completion', ''], ['bash', 'fish', 'zsh']],
    [['mailguard', 'check', '--internal-domain', ''], []],
    [['mailguard', 'check', 'customer-list-t'], ['customer-list-to.eml']],
    [['mailguard', 'check', '--config', 'customer-list-c'], ['customer-list-cc.eml']],
    [['mailguard', '--vers'], ['--version']],
  ])('%j -> %j', async (words, expected) => {
    expect(await bashComplete(words)).toEqual([...expected].sort());
  });
});

describe('fish completes (complete -C)', () => {
  async function fishComplete(line: string): Promise<string[]> {
    const r = await runProcess('fish', ['--no-config', '-c', `source ${path.join(tmp, 'mailguard.fish')}; complete -C ${JSON.stringify(line)}`], { cwd: FIXTURES });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!).sort();
  }

  it.each([
    ['mailguard ', COMMANDS],
    ['mailguard ch', ['check']],
    ['mailguard check --format ', ['github', 'human', 'json', 'junit', 'sarif']],
    ['mailguard completion ', ['bash', 'fish', 'zsh']],
    ['mailguard fix --strat', ['--strategy']],
  ])('%j -> %j', async (line, expected) => {
    const got = await fishComplete(line);
    expect(got).toEqual(expect.arrayContaining(expected));
    if (!line.endsWith(' ') || line.split(' ').length > 2) expect(got.filter((g) => !expected.includes(g) && !g.startsWith('-'))).toEqual([]);
  });

  it('file names after a command', async () => {
    expect(await fishComplete('mailguard check customer-list-t')).toEqual(['customer-list-to.eml']);
  });
});

describe('zsh', () => {
  it('registers _mailguard for mailguard under compinit', async () => {
    const r = await runProcess('zsh', ['-f', '-c', `autoload -U compinit && compinit -u -D && source ${path.join(tmp, 'mailguard.zsh')} && print -r -- $_comps[mailguard]`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('_mailguard');
  });
});

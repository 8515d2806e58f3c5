// Every --help fits an 80-column terminal: a longer line wraps at column 0 and breaks the layout.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const COMMANDS = [[], ['check'], ['init'], ['explain'], ['fix'], ['send'], ['sendmail'], ['proxy'], ['milter'], ['audit'], ['notify']];

describe('--help at 80 columns', () => {
  it.each(COMMANDS.map((c) => [c.join(' ') || '(program)', c] as const))('%s --help: no line longer than 80 columns', async (_name, cmd) => {
    const r = await runCli([...cmd, '--help'], { env: { COLUMNS: '80' } });
    expect(r.code).toBe(0);
    const text = r.stdout + r.stderr;
    expect(text).toContain('Usage:');
    const long = text.split('\n').filter((l) => l.length > 80);
    expect(long).toEqual([]);
  });
});

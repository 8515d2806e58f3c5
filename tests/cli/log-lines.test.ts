import { describe, expect, it } from 'vitest';
import { batchedLines } from '../../src/cli/log-lines.js';

const INTERVAL_MS = 5;
const later = () => new Promise<void>((resolve) => setTimeout(resolve, INTERVAL_MS * 4));

describe('batchedLines', () => {
  it('writes the lines of one interval in one write, in order', async () => {
    const writes: string[] = [];
    const lines = batchedLines((text) => writes.push(text), INTERVAL_MS);
    lines.write('a\n');
    lines.write('b\n');
    lines.write('c\n');
    expect(writes).toEqual([]);
    await later();
    expect(writes).toEqual(['a\nb\nc\n']);
    lines.write('d\n');
    await later();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('writes at once when a burst passes the batch size, keeping the order', async () => {
    const writes: string[] = [];
    const lines = batchedLines((text) => writes.push(text), INTERVAL_MS);
    const big = `${'x'.repeat(40 * 1024)}\n`;
    lines.write('first\n');
    lines.write(big);
    expect(writes).toEqual([]);
    lines.write(big);
    expect(writes).toEqual([`first\n${big}${big}`]);
    lines.write('last\n');
    await later();
    expect(writes.join('')).toBe(`first\n${big}${big}last\n`);
  });

  it('flush() writes what is queued, and nothing twice', async () => {
    const writes: string[] = [];
    const lines = batchedLines((text) => writes.push(text), INTERVAL_MS);
    lines.write('one\n');
    lines.flush();
    lines.flush();
    await later();
    expect(writes).toEqual(['one\n']);
  });
  // Lines queued at exit (the proxy's "stopped" line after SIGTERM) are covered by
  // tests/e2e/proxy-cli.test.ts, through the built binary.
});

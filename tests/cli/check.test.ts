import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('mailguard check (built CLI)', () => {
  it('blocks a customer list in To and exits 1', async () => {
    const r = await runCli(['check', 'fixtures/customer-list-to.eml', '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.version).toBe(1);
    expect(doc.results[0].verdict).toBe('block');
    expect(doc.results[0].findings.map((f: { code: string }) => f.code)).toEqual(['EXPOSED_RECIPIENTS']);
    expect(doc.results[0].recipients.externalParties).toBe(12);
  });

  it('passes a clean internal message on stdin and exits 0', async () => {
    const r = await runCli(['check'], { input: 'From: a@corp.example\nTo: b@corp.example\n\nhi\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PASS');
  });

  it('exits 2 for a missing file and for an unknown option', async () => {
    expect((await runCli(['check', 'no-such-file.eml'])).code).toBe(2);
    const bad = await runCli(['check', '--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--bogus');
  });
});

// Text from a message in a report cannot forge lines, redraw the terminal, reorder what is read or
// start a GitHub Actions command (found by an output-injection hunt: an attachment named
// "invoice\n::add-mask::..." added workflow commands to human and JUnit output; an ESC sequence
// in a name redrew a BLOCK as a PASS).
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/findings.js';
import { formatJunit } from '../../src/report/junit.js';
import { describeFinding, describeUnreadable } from '../../src/report/messages.js';
import { printable, quoted } from '../../src/report/printable.js';
import { createReport } from '../../src/report/report.js';
import type { MessageResult } from '../../src/result.js';

const HOSTILE = ['invoice\n::error file=a.ts::forged', 'x\r::add-mask::secret', 'a\u001b[3A\u001b[JPASS', 'name\u202eFDP.exe', 'a\u2028b', '##[stop-commands]zz', 'ok\u0085next'];

describe('printable', () => {
  it.each(HOSTILE)('%j: one line, no control, bidi or separator character, no legacy command prefix', (s) => {
    const out = printable(s);
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/);
    expect(out).not.toContain('##[');
    expect(out.split('\n')).toHaveLength(1);
  });
  it('keeps ordinary text as it is', () => {
    expect(printable('Rapport März "Q1" (2026) — ok')).toBe('Rapport März "Q1" (2026) — ok');
  });
  it('log values: a quote cannot end the value', () => {
    expect(quoted('550 "x" delivered=3')).toBe('"550 \\"x\\" delivered=3"');
    expect(quoted('a\nb')).toBe('"a\\x0ab"');
  });
});

describe('reports show what a message says printably', () => {
  const finding = (name: string): Finding => ({ code: 'ATTACHMENT_NOT_SCANNED', severity: 'info', args: { part: '2', contentType: 'application/pdf', name, reason: 'unsupported-format', detail: 'pdf' } }) as unknown as Finding;
  it.each(HOSTILE)('describeFinding and describeUnreadable with %j', (name) => {
    for (const text of [describeFinding(finding(name), { redact: true }), describeUnreadable('bad-transcript', `line 3: unknown command "${name}"`)]) {
      expect(text).not.toMatch(/[\n\r\u001b\u202e\u2028]/);
      expect(text).not.toContain('##[');
    }
  });
  it('JUnit: no line of the document starts a workflow command', () => {
    const result = { source: 'd.eml', verdict: 'block', findings: [{ ...finding(HOSTILE[0]!), severity: 'error' }], recipients: { visible: [], hidden: [], bcc: [], reply: [], externalAddresses: 0, parties: 0 } } as unknown as MessageResult;
    const xml = formatJunit(createReport([result]), { redact: true, quiet: false } as Parameters<typeof formatJunit>[1]);
    expect(xml.split('\n').some((l) => l.startsWith('::'))).toBe(false);
  });
});

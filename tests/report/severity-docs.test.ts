// The default severity README's table of findings and `mailguard explain` state is the one the
// code gives (src/findings.ts DEFAULT_SEVERITY): ATTACHMENT_NOT_SCANNED became info in code while
// both still called it a warning.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SEVERITY, FINDING_CODES, type FindingCode } from '../../src/findings.js';
import { explainCode, formatExplanation } from '../../src/report/explain.js';
import { ROOT } from '../helpers/cli.js';

/** Codes whose severity depends on thresholds or on where the message is (README says how). */
const BY_CONTEXT: readonly FindingCode[] = ['EXPOSED_RECIPIENTS', 'EXPOSED_ATTENDEES', 'BCC_HEADER_PRESENT'];

describe('default severities in the docs', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const cells = new Map([...readme.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]));

  it.each(FINDING_CODES.filter((c) => !BY_CONTEXT.includes(c)))("README's table gives %s the code's default severity", (code) => {
    expect(cells.get(code), code).toMatch(new RegExp(`^${DEFAULT_SEVERITY[code]}\\b`));
  });

  it.each(FINDING_CODES)('explain %s claims no other default', (code) => {
    const text = formatExplanation(explainCode(code)).replace(/\s+/g, ' ');
    for (const m of text.matchAll(/\b(?:an? )?(info|warning|error) by default\b/g)) expect(m[1], code).toBe(DEFAULT_SEVERITY[code]);
    for (const m of text.matchAll(/\bby default (?:it is )?(?:an? )?(info|warning|error)\b/g)) expect(m[1], code).toBe(DEFAULT_SEVERITY[code]);
  });

  it('ATTACHMENT_NOT_SCANNED: info, and both say how to make it a warning or an error', () => {
    const text = formatExplanation(explainCode('ATTACHMENT_NOT_SCANNED'));
    expect(text).toContain('(default severity: info)');
    expect(text).toContain('"rules": { "ATTACHMENT_NOT_SCANNED": "warning" }');
    expect(text).toContain('"rules": { "ATTACHMENT_NOT_SCANNED": "error" }');
    expect(readme.split('\n').find((l) => l.startsWith('| `ATTACHMENT_NOT_SCANNED` |'))).toContain('"ATTACHMENT_NOT_SCANNED": "warning"');
    const section = readme.slice(readme.indexOf('- **Not scanned** (`ATTACHMENT_NOT_SCANNED`'));
    expect(section.slice(0, 1200).replace(/\s+/g, ' ')).toMatch(/Info by default.*"rules": \{ "ATTACHMENT_NOT_SCANNED": "warning" \}/);
  });
});

// JUnit XML for CI test reports (GitLab, Jenkins, Azure DevOps): one testsuite, one testcase per
// message, a <failure> per blocking finding, an <error> for an input that could not be read.
// Warnings go to the testcase's <system-out> so they are visible without failing the case.

import { describeWhere, resultFile } from './locate.js';
import { describeFinding, FINDING_TITLES } from './messages.js';
import type { Formatter } from './report.js';

/**
 * Text safe inside XML 1.0 attributes and elements: markup escaped, and the characters XML 1.0
 * cannot carry at all (C0 controls other than tab, LF, CR; lone surrogates; U+FFFE/U+FFFF) shown
 * as `\uXXXX` so an excerpt of a hostile header never makes the report unparseable.
 */
export function escapeXml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Attribute values additionally keep their line breaks (XML normalises raw ones to spaces). */
function attr(s: string): string {
  return escapeXml(s).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

export const formatJunit: Formatter = (report, options) => {
  const redact = options.redact;
  const s = report.summary;
  /** Testcases with at least one failure (the JUnit count is per testcase, not per finding). */
  let failures = 0;
  const cases: string[] = [];
  for (const r of report.results) {
    const file = resultFile(r);
    const head = `    <testcase name="${attr(r.source)}" classname="mailguard.check"${file !== undefined ? ` file="${attr(file)}"` : ''} time="0">`;
    const body: string[] = [];
    const out: string[] = [];
    for (const f of r.findings) {
      const where = describeWhere(f);
      const text = `${describeFinding(f, { redact })}${where ? ` (${where})` : ''}`;
      if (f.code === 'UNREADABLE_MESSAGE') {
        body.push(`      <error type="${f.code}" message="${attr(text)}">${escapeXml(`${FINDING_TITLES[f.code]}: ${text}`)}</error>`);
      } else if (f.severity === 'error') {
        body.push(`      <failure type="${f.code}" message="${attr(text)}">${escapeXml(`${FINDING_TITLES[f.code]} (${f.code}): ${text}\nRun "mailguard explain ${f.code}" for how to fix it.`)}</failure>`);
      } else {
        out.push(`${f.severity} ${f.code}: ${text}`);
      }
    }
    if (body.some((b) => b.startsWith('      <failure'))) failures++;
    if (out.length > 0) body.push(`      <system-out>${escapeXml(out.join('\n'))}</system-out>`);
    cases.push(body.length === 0 ? `${head.slice(0, -1)}/>` : `${head}\n${body.join('\n')}\n    </testcase>`);
  }
  // Files that are not mail are skipped test cases: JUnit viewers show them, counted apart.
  for (const f of report.notRead) {
    cases.push(`    <testcase name="${attr(f.path)}" classname="mailguard.check" file="${attr(f.path)}" time="0">\n      <skipped message="${attr(`not read: ${f.kind}, not a mail message`)}"/>\n    </testcase>`);
  }
  const counts = `tests="${s.checked + s.notRead}" failures="${failures}" errors="${s.error}" skipped="${s.notRead}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="mailguard" ${counts}>`,
    `  <testsuite name="mailguard check" ${counts} time="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
};

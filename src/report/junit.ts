// JUnit XML for CI test reports (GitLab, Jenkins, Azure DevOps): one testsuite, one testcase per
// message, a <failure> per blocking finding, an <error> for an input that could not be read.
// Warnings go to the testcase's <system-out> so they are visible without failing the case.

import { describeWhere, resultFile } from './locate.js';
import { describeFinding, FINDING_TITLES } from './messages.js';
import type { MessageResult } from '../result.js';
import type { Formatter, NotReadFile, Report, StreamFormatter } from './report.js';

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

/** One message's testcase, and whether it failed (at least one blocking finding). */
function testcase(r: MessageResult, redact: boolean): { text: string; failed: boolean } {
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
  const failed = body.some((b) => b.startsWith('      <failure'));
  if (out.length > 0) body.push(`      <system-out>${escapeXml(out.join('\n'))}</system-out>`);
  return { text: body.length === 0 ? `${head.slice(0, -1)}/>` : `${head}\n${body.join('\n')}\n    </testcase>`, failed };
}

/** Files that are not mail are skipped test cases: JUnit viewers show them, counted apart. */
function skippedCase(f: NotReadFile): string {
  return `    <testcase name="${attr(f.path)}" classname="mailguard.check" file="${attr(f.path)}" time="0">\n      <skipped message="${attr(`not read: ${f.kind}, not a mail message`)}"/>\n    </testcase>`;
}

/** The lines before the testcases; the counts are known only at the end. */
function suiteHead(s: Report['summary'], failures: number): string[] {
  const counts = `tests="${s.checked + s.notRead}" failures="${failures}" errors="${s.error}" skipped="${s.notRead}"`;
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="mailguard" ${counts}>`, `  <testsuite name="mailguard check" ${counts} time="0">`];
}

const SUITE_TAIL = ['  </testsuite>', '</testsuites>'];

export const formatJunit: Formatter = (report, options) => {
  /** Testcases with at least one failure (the JUnit count is per testcase, not per finding). */
  let failures = 0;
  const cases: string[] = [];
  for (const r of report.results) {
    const c = testcase(r, options.redact);
    if (c.failed) failures++;
    cases.push(c.text);
  }
  for (const f of report.notRead) cases.push(skippedCase(f));
  return [...suiteHead(report.summary, failures), ...cases, ...SUITE_TAIL, ''].join('\n');
};

/** The same document result by result (see ReportStream): the testcases, then the suite around them. */
export const streamJunit: StreamFormatter = (options) => {
  let failures = 0;
  return {
    result(r) {
      const c = testcase(r, options.redact);
      if (c.failed) failures++;
      return `${c.text}\n`;
    },
    finish(summary, notRead) {
      return {
        head: `${suiteHead(summary, failures).join('\n')}\n`,
        tail: [...notRead.map(skippedCase), ...SUITE_TAIL].map((line) => `${line}\n`).join(''),
      };
    },
  };
};

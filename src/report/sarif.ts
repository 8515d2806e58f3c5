// SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, GitLab). One rule per finding code with a
// stable id; each result points at the file and line of the offending header field (or the JSON
// line of a campaign message) and carries a partial fingerprint that does not change when lines
// move, so alerts do not churn between runs.

import { createRequire } from 'node:module';
import { VERSION } from '../version.js';
import { DEFAULT_SEVERITY, FINDING_CODES, type Finding, type FindingCode, type Severity } from '../findings.js';
import type { MessageResult } from '../result.js';
import { explainCode, explanationMarkdown, explanationText } from './explain.js';
import { findingField, resultFile } from './locate.js';
import { describeFinding, FINDING_TITLES } from './messages.js';
import { jsonArrayAround, jsonArrayElement } from './json-pieces.js';
import type { Formatter, FormatOptions, NotReadFile, Report, StreamFormatter } from './report.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

/** The key of mailguard's partial fingerprint; bump the version if the hashed parts change. */
export const SARIF_FINGERPRINT_KEY = 'mailguardFinding/v1';

type SarifLevel = 'error' | 'warning' | 'note';

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: Array<{
    tool: { driver: SarifDriver };
    results: SarifResult[];
    columnKind: 'unicodeCodePoints';
    /** Files found that are not mail: one notification each, so code scanning shows what was not read. */
    invocations: SarifInvocation[];
    properties: { notRead: number };
  }>;
}

interface SarifInvocation {
  executionSuccessful: boolean;
  toolExecutionNotifications: Array<{
    level: 'note';
    descriptor: { id: 'NOT_MAIL' };
    message: { text: string };
    locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }>;
  }>;
}

interface SarifDriver {
  name: string;
  version: string;
  semanticVersion: string;
  rules: SarifRule[];
}

interface SarifRule {
  id: FindingCode;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  defaultConfiguration: { level: SarifLevel };
  properties: { tags: string[] };
}

interface SarifResult {
  ruleId: FindingCode;
  ruleIndex: number;
  level: SarifLevel;
  message: { text: string };
  locations?: Array<{
    physicalLocation?: { artifactLocation: { uri: string }; region?: { startLine: number } };
    logicalLocations?: Array<{ fullyQualifiedName: string; kind: string }>;
  }>;
  partialFingerprints: Record<string, string>;
  properties: { source: string; verdict: MessageResult['verdict'] };
}

/** `EXPOSED_RECIPIENTS` -> `ExposedRecipients` (SARIF rule names are PascalCase by convention). */
function ruleName(code: string): string {
  return code
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** SARIF calls an info finding a note. */
function sarifLevel(s: Severity): SarifLevel {
  return s === 'info' ? 'note' : s;
}

function rules(): SarifRule[] {
  return FINDING_CODES.map((code) => {
    const e = explainCode(code);
    return {
      id: code,
      name: ruleName(code),
      shortDescription: { text: FINDING_TITLES[code] },
      fullDescription: { text: e.meaning },
      help: { text: explanationText(e), markdown: explanationMarkdown(e) },
      // EXPOSED_RECIPIENTS is an error at blockAt; its level per result says which threshold was hit.
      defaultConfiguration: { level: sarifLevel(DEFAULT_SEVERITY[code]) },
      properties: { tags: ['email', 'privacy', code === 'AMBIGUOUS_RECIPIENT' || code === 'MALFORMED_HEADER' ? 'security' : 'recipients'] },
    };
  });
}

/**
 * A path as a SARIF artifact URI: relative paths stay relative (resolved against the checkout by
 * code scanning), absolute ones become file: URIs. Each segment is percent-encoded.
 */
export function toArtifactUri(file: string): string {
  const slashed = file.replace(/\\/g, '/');
  const drive = /^[A-Za-z]:\//.test(slashed);
  const absolute = slashed.startsWith('/') || drive;
  const segments = slashed.split('/').map((s, i) => (drive && i === 0 ? s : encodeURIComponent(s)));
  const joined = segments.join('/');
  if (!absolute) return joined.replace(/^(\.\/)+/, '');
  return drive ? `file:///${joined}` : `file://${joined}`;
}

// node:crypto is loaded when a SARIF report is made, not at every start of the CLI (it cost
// about 7 ms of a one-message check, bench scenario 5).
const require = createRequire(import.meta.url);
const createHash = (algorithm: string) => (require('node:crypto') as typeof import('node:crypto')).createHash(algorithm);

/** A hash of what identifies a finding regardless of line numbers: file, message, code, field. */
function fingerprint(r: MessageResult, f: Finding): string {
  const file = resultFile(r) ?? '-';
  const within = r.source.startsWith(file) ? r.source.slice(file.length) : r.source;
  const parts = [f.code, file, within, f.jsonPath ?? findingField(f) ?? ''];
  if (f.code === 'AMBIGUOUS_RECIPIENT' || f.code === 'MALFORMED_HEADER') parts.push(f.args.problem);
  if (f.code === 'UNREADABLE_MESSAGE') parts.push(f.args.reason);
  if (f.code === 'ADDRESS_LIST_IN_BODY') parts.push(f.args.part);
  if (f.code === 'ADDRESS_LIST_IN_ATTACHMENT') parts.push(f.args.part, f.args.entry ?? '', f.args.sheet ?? '', f.args.outsideSheets ? 'rest' : '');
  if (f.code === 'EXPOSED_ATTENDEES') parts.push(f.args.part, f.args.entry ?? '');
  if (f.code === 'ATTACHMENT_NOT_SCANNED') parts.push(f.args.part, f.args.entry ?? '', f.args.reason);
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

function toResult(r: MessageResult, f: Finding, index: Map<FindingCode, number>, options: FormatOptions): SarifResult {
  const file = resultFile(r);
  const where = f.jsonPath !== undefined ? ` (${f.jsonPath})` : '';
  const out: SarifResult = {
    ruleId: f.code,
    ruleIndex: index.get(f.code) ?? 0,
    level: sarifLevel(f.severity),
    message: { text: `${describeFinding(f, { redact: options.redact })}${where}` },
    partialFingerprints: { [SARIF_FINGERPRINT_KEY]: fingerprint(r, f) },
    properties: { source: r.source, verdict: r.verdict },
  };
  const location: NonNullable<SarifResult['locations']>[number] = {};
  if (file !== undefined) {
    location.physicalLocation = { artifactLocation: { uri: toArtifactUri(file) } };
    if (f.line !== undefined && f.line >= 1) location.physicalLocation.region = { startLine: f.line };
  }
  if (f.jsonPath !== undefined) location.logicalLocations = [{ fullyQualifiedName: f.jsonPath, kind: 'member' }];
  if (location.physicalLocation || location.logicalLocations) out.locations = [location];
  return out;
}

/** Builds the SARIF log (pure; printing is the CLI's job). */
export function toSarif(report: Report, options: Pick<FormatOptions, 'redact'> & Partial<FormatOptions>): SarifLog {
  const ruleList = rules();
  const index = new Map(ruleList.map((rule, i) => [rule.id, i]));
  const fullOptions: FormatOptions = { color: false, ...options };
  const results: SarifResult[] = [];
  for (const r of report.results) for (const f of r.findings) results.push(toResult(r, f, index, fullOptions));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'mailguard', version: VERSION, semanticVersion: VERSION, rules: ruleList } },
        results,
        columnKind: 'unicodeCodePoints',
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: report.notRead.map((f) => ({
              level: 'note' as const,
              descriptor: { id: 'NOT_MAIL' as const },
              message: { text: `Not read: ${f.kind}, not a mail message.` },
              locations: [{ physicalLocation: { artifactLocation: { uri: toArtifactUri(f.path) } } }],
            })),
          },
        ],
        properties: { notRead: report.summary.notRead },
      },
    ],
  };
}

export const formatSarif: Formatter = (report, options) => `${JSON.stringify(toSarif(report, options), null, 2)}\n`;

/** The same log result by result (see ReportStream): each finding's result, then what surrounds them. */
export const streamSarif: StreamFormatter = (options) => {
  const index = new Map(rules().map((rule, i) => [rule.id, i]));
  let count = 0;
  return {
    result(r) {
      let text = '';
      for (const f of r.findings) text += jsonArrayElement(toResult(r, f, index, options), 3, count++);
      return text;
    },
    finish(summary: Report['summary'], notRead: readonly NotReadFile[]) {
      const doc = JSON.stringify(toSarif({ results: [], summary, notRead: [...notRead] }, options), null, 2);
      // runs[0].results: a key of the run object, three levels in.
      const { open, close } = jsonArrayAround(doc, 'results', 3, count);
      return { head: open, tail: `${close}\n` };
    },
  };
};

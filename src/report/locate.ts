// Where a finding points, for the formats that link to files (SARIF, GitHub annotations, JUnit),
// and the order CI formats list findings in: most important first.

import type { Finding } from '../findings.js';
import type { MessageResult } from '../result.js';

/** The file a result belongs to: the input path, or the source when it names a file. */
export function resultFile(r: MessageResult): string | undefined {
  if (r.file !== undefined) return r.file;
  return r.source === '-' ? undefined : r.source;
}

/** The header field a finding is about (exposure: the first field that holds exposed addresses). */
export function findingField(f: Finding): string | undefined {
  switch (f.code) {
    case 'EXPOSED_RECIPIENTS':
      return f.args.fields[0];
    case 'BCC_HEADER_PRESENT':
    case 'AMBIGUOUS_RECIPIENT':
    case 'DUPLICATE_RECIPIENT_FIELD':
    case 'EXPOSED_REPLY_ADDRESSES':
      return f.args.field;
    default:
      return undefined;
  }
}

/** How important a finding is: errors first, then exposure by size, then the rest. */
export function findingWeight(f: Finding): number {
  let w = f.severity === 'error' ? 1_000_000_000 : 0;
  if (f.code === 'UNREADABLE_MESSAGE') w += 500_000_000;
  if (f.code === 'EXPOSED_RECIPIENTS') w += 100_000_000 + Math.min(f.args.parties, 99_999) * 1000;
  if (f.code === 'AMBIGUOUS_RECIPIENT') w += 50_000_000;
  return w;
}

export interface LocatedFinding {
  result: MessageResult;
  finding: Finding;
}

/** Every finding of a report, most important first; ties keep input order. */
export function findingsByImportance(results: readonly MessageResult[]): LocatedFinding[] {
  const all: Array<LocatedFinding & { order: number }> = [];
  for (const result of results) for (const finding of result.findings) all.push({ result, finding, order: all.length });
  all.sort((a, b) => findingWeight(b.finding) - findingWeight(a.finding) || a.order - b.order);
  return all.map(({ result, finding }) => ({ result, finding }));
}

/** `campaign.json#messages[3]` / `messages[3].cc` / `line 12`: where to look, in words. */
export function describeWhere(f: Finding): string {
  const parts: string[] = [];
  if (f.jsonPath !== undefined) parts.push(f.jsonPath);
  if (f.line !== undefined) parts.push(`line ${f.line}`);
  return parts.join(', ');
}

// A folder holding one file no format recognises (`draft.txt`) beside a clean draft, walked by the
// built CLI: the red-team tests of what a directory walk reads as mail share it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { runCli } from './cli.js';

const CLEAN = 'From: alice@corp.example\nTo: bob@corp.example\nSubject: hi\n\nhello\n';

interface WalkJson {
  results: Array<{ source: string; verdict: string }>;
  notRead?: Array<{ path: string }>;
}

/** `dir/<name>/` with `draft.txt` holding `text` and a clean `ok.eml`. */
export function walkFolder(dir: string, name: string, text: string | Buffer): string {
  const sub = path.join(dir, name.replace(/\W+/g, '-'));
  mkdirSync(sub, { recursive: true });
  writeFileSync(path.join(sub, 'draft.txt'), text);
  writeFileSync(path.join(sub, 'ok.eml'), CLEAN);
  return sub;
}

/** `check` of the folder as JSON: the files not read (by name), draft.txt's verdict, the exit code. */
export async function checkWalk(sub: string): Promise<{ notRead: string[]; draft: string | undefined; code: number | null }> {
  const r = await runCli(['check', sub, '--internal-domain', 'corp.example', '--format', 'json']);
  const json = JSON.parse(r.stdout) as WalkJson;
  return { notRead: (json.notRead ?? []).map((n) => path.basename(n.path)), draft: json.results.find((x) => path.basename(x.source) === 'draft.txt')?.verdict, code: r.code };
}

/** draft.txt was read as mail: nothing left unread, it blocks or fails closed, and the run does not exit 0. */
export async function expectDraftRead(sub: string): Promise<void> {
  const r = await checkWalk(sub);
  expect(r.notRead).toEqual([]);
  expect(r.draft).toMatch(/^(?:block|error)$/);
  expect(r.code).not.toBe(0);
}

/** draft.txt is not mail: named as not read, exit 0. */
export async function expectNotMail(sub: string): Promise<void> {
  const r = await checkWalk(sub);
  expect(r.notRead).toEqual(['draft.txt']);
  expect(r.code).toBe(0);
}

// Issue 3's invariants over the real-mail corpus: every message with 5 or more recipients is
// rewritten both ways (bcc and split), or refused with EREWRITE when the core cannot read it
// unambiguously. Runs with npm run test:corpus (the corpus lives in ../shared/corpus).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy, MailguardError, rewriteToBcc, splitMessage } from '../../src/index.js';
import { ROOT } from '../helpers/cli.js';
import { expectBccInvariants, expectSplitInvariants } from '../rewrite/invariants.js';

const CORPUS = path.resolve(ROOT, '../shared/corpus');
/** The selection: messages with this many distinct recipients (visible and Bcc) or more. */
const MIN_RECIPIENTS = 5;
const policy = createPolicy({});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return walk(p);
    return name === 'SOURCES.md' ? [] : [p];
  });
}

interface Selected {
  file: string;
  bytes: Buffer;
  recipients: number;
  refused: boolean;
}

function select(): Selected[] {
  if (!existsSync(CORPUS)) return [];
  const out: Selected[] = [];
  for (const file of walk(CORPUS)) {
    const bytes = readFileSync(file);
    const r = checkMessage(bytes, policy);
    if (r.verdict === 'error') continue;
    const recipients = new Set([...r.recipients.visible, ...r.recipients.blind].map((x) => x.address));
    const unreadable = r.findings.some((f) => f.code === 'AMBIGUOUS_RECIPIENT' || f.code === 'MALFORMED_HEADER');
    const resent = r.recipients.visible.some((v) => v.field.startsWith('resent-')) || r.recipients.blind.some((v) => v.field === 'resent-bcc');
    if (recipients.size >= MIN_RECIPIENTS || unreadable) out.push({ file, bytes, recipients: recipients.size, refused: unreadable || resent });
  }
  return out;
}

const selected = select();
const rewritable = selected.filter((s) => !s.refused && s.recipients >= MIN_RECIPIENTS);
const refused = selected.filter((s) => s.refused);
const name = (file: string): string => path.relative(CORPUS, file);

function expectRefusal(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MailguardError);
  expect((caught as MailguardError).code).toBe('EREWRITE');
}

describe.skipIf(!existsSync(CORPUS))('rewrite over the corpus (../shared/corpus)', () => {
  it('finds messages with 5+ recipients to rewrite', () => {
    expect(rewritable.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    console.log(`corpus rewrite: ${rewritable.length} messages with ${MIN_RECIPIENTS}+ recipients rewritten both ways, ${refused.length} refused (ambiguous, malformed or resent)`);
  });

  it.each(rewritable.map((s) => [name(s.file), s] as const))('%s: bcc and split keep every invariant', async (_, s) => {
    const bcc = rewriteToBcc(s.bytes, policy);
    await expectBccInvariants(s.bytes, bcc.bytes, policy);
    const split = splitMessage(s.bytes, policy, { messageIdDomain: 'corpus.example' });
    expect(split.messages.length).toBeGreaterThan(0);
    await expectSplitInvariants(s.bytes, split.messages, policy);
  });

  it('refuses every ambiguous, malformed or resent message (EREWRITE), never rewrites it', () => {
    for (const s of refused) {
      expectRefusal(() => rewriteToBcc(s.bytes, policy));
      expectRefusal(() => splitMessage(s.bytes, policy));
    }
  });
});

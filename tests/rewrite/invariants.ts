// The invariants of issue 3, as assertions shared by the fixture, property and corpus tests.
import { simpleParser, type AddressObject, type EmailAddress } from 'mailparser';
import { expect } from 'vitest';
import { checkMessage, normaliseAddress, readHeaderBlock, type Policy } from '../../src/index.js';
import type { SplitCopy } from '../../src/rewrite/index.js';

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Everything after the header block. */
export function bodyOf(bytes: Uint8Array): Buffer {
  return buf(bytes).subarray(readHeaderBlock(bytes).bodyStart);
}

/** Raw bytes of every field whose key is not in `rewritten`, in order, plus what precedes the fields. */
export function untouchedParts(bytes: Uint8Array, rewritten: ReadonlySet<string>): { prefix: string; fields: string[] } {
  const h = readHeaderBlock(bytes);
  const b = buf(bytes);
  return {
    prefix: b.toString('latin1', 0, h.fieldsStart),
    fields: h.fields.filter((f) => !rewritten.has(f.key)).map((f) => b.toString('latin1', f.start, f.end).replace(/\r?\n$|\r$/, '')),
  };
}

/** Every recipient (visible and Bcc) mailguard reads in a message. */
export function allRecipients(bytes: Uint8Array, policy: Policy): Set<string> {
  const r = checkMessage(bytes, policy);
  return new Set([...r.recipients.visible, ...r.recipients.blind].map((x) => x.address));
}

function flatten(field: AddressObject | AddressObject[] | undefined): string[] {
  if (!field) return [];
  const objects = Array.isArray(field) ? field : [field];
  const out: string[] = [];
  const walk = (list: EmailAddress[]): void => {
    for (const a of list) {
      if (a.group) walk(a.group);
      else if (a.address) out.push(normaliseAddress(a.address) ?? `unreadable:${a.address}`);
    }
  };
  for (const o of objects) walk(o.value);
  return out;
}

/** mailparser's view: the To+Cc and Bcc addresses it reads, and the header names it sees. */
export async function mailparserView(bytes: Uint8Array): Promise<{ visible: Set<string>; bcc: Set<string>; keys: Set<string> }> {
  // mailparser reads only LF or CRLF line ends; a CR-only message (old Mac files) is shown to it with LF.
  const input = readHeaderBlock(bytes).lineEnding === 'cr' ? Buffer.from(buf(bytes).toString('latin1').replace(/\r/g, '\n'), 'latin1') : buf(bytes);
  const parsed = await simpleParser(input);
  return {
    visible: new Set([...flatten(parsed.to), ...flatten(parsed.cc)]),
    bcc: new Set(flatten(parsed.bcc)),
    keys: new Set(parsed.headers.keys()),
  };
}

/** Header field names (lower-case) of a message, per mailguard's reader. */
export function fieldKeys(bytes: Uint8Array): Set<string> {
  return new Set(readHeaderBlock(bytes).fields.map((f) => f.key));
}

const BCC_REWRITTEN = new Set(['to', 'cc', 'apparently-to', 'bcc', 'dkim-signature']);
const SPLIT_REWRITTEN = new Set(['to', 'cc', 'apparently-to', 'bcc', 'message-id', 'dkim-signature']);

/** No field appears that was not in the input, except the ones the rewrite may add. */
async function expectNoInjectedField(input: Uint8Array, output: Uint8Array, mayAdd: ReadonlySet<string>): Promise<void> {
  const before = fieldKeys(input);
  for (const k of fieldKeys(output)) if (!before.has(k)) expect(mayAdd.has(k), `field ${k} appeared`).toBe(true);
  const mp = await mailparserView(output);
  const mpBefore = await mailparserView(input);
  for (const k of mp.keys) if (!mpBefore.keys.has(k)) expect(mayAdd.has(k), `mailparser sees a new field ${k}`).toBe(true);
}

/** Asserts every invariant of the bcc strategy (with To placeholder `undisclosed`). */
export async function expectBccInvariants(input: Uint8Array, output: Uint8Array, policy: Policy): Promise<void> {
  const after = checkMessage(output, policy);
  // No external list is left in To/Cc. (Reply fields, authors and display names also count toward
  // EXPOSED_RECIPIENTS since issue 13 class 3; what a rewrite does with them is class 4, decided
  // in the decision module.)
  const exposure = after.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS');
  expect(exposure?.code === 'EXPOSED_RECIPIENTS' ? exposure.args.fields.filter((f) => f === 'to' || f === 'cc') : []).toEqual([]);
  expect(after.findings.map((f) => f.code)).not.toContain('AMBIGUOUS_RECIPIENT');
  expect(after.recipients.visible.filter((r) => !r.internal)).toEqual([]);
  expect([...allRecipients(output, policy)].sort()).toEqual([...allRecipients(input, policy)].sort());
  expect(bodyOf(output).equals(bodyOf(input))).toBe(true);
  expect(untouchedParts(output, BCC_REWRITTEN)).toEqual(untouchedParts(input, BCC_REWRITTEN));
  await expectNoInjectedField(input, output, new Set(['to', 'bcc']));
  const mp = await mailparserView(output);
  expect([...mp.visible].sort()).toEqual([...new Set(after.recipients.visible.map((r) => r.address))].sort());
  expect([...mp.bcc].sort()).toEqual([...new Set(after.recipients.blind.map((r) => r.address))].sort());
}

/** Asserts every invariant of the split strategy. */
export async function expectSplitInvariants(input: Uint8Array, copies: SplitCopy[], policy: Policy): Promise<void> {
  const original = allRecipients(input, policy);
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  const inputId = readHeaderBlock(input).fields.find((f) => f.key === 'message-id')?.rawValue.trim();
  for (const copy of copies) {
    const r = checkMessage(copy.bytes, policy);
    // No external list in To/Cc of any copy: at most its one external recipient (reply fields
    // also count toward EXPOSED_RECIPIENTS since issue 13; what a rewrite does with them is class 4).
    expect(new Set(r.recipients.visible.filter((v) => !v.internal).map((v) => v.address)).size).toBeLessThanOrEqual(1);
    expect(r.findings.map((f) => f.code)).not.toContain('AMBIGUOUS_RECIPIENT');
    expect(r.recipients.blind).toEqual([]);
    expect(fieldKeys(copy.bytes).has('bcc')).toBe(false);
    // The header shows exactly the envelope: no copy shows anyone else's external address.
    const visible = new Set(r.recipients.visible.map((v) => v.address));
    expect([...visible].sort()).toEqual([...new Set(copy.recipients)].sort());
    const externals = r.recipients.visible.filter((v) => !v.internal);
    if (externals.length > 0) expect(new Set(externals.map((v) => v.address)).size).toBe(1);
    for (const a of copy.recipients) seen.set(a, (seen.get(a) ?? 0) + 1);
    expect(bodyOf(copy.bytes).equals(bodyOf(input))).toBe(true);
    expect(untouchedParts(copy.bytes, SPLIT_REWRITTEN)).toEqual(untouchedParts(input, SPLIT_REWRITTEN));
    await expectNoInjectedField(input, copy.bytes, new Set(['to', 'message-id']));
    const mp = await mailparserView(copy.bytes);
    expect([...mp.visible].sort()).toEqual([...visible].sort());
    expect(mp.bcc.size).toBe(0);
    const id = readHeaderBlock(copy.bytes).fields.find((f) => f.key === 'message-id')?.rawValue.trim();
    expect(id).toBeDefined();
    expect(id).not.toBe(inputId);
    ids.add(id!);
  }
  expect(ids.size).toBe(copies.length);
  expect([...seen.keys()].sort()).toEqual([...original].sort());
  for (const [address, n] of seen) expect(n, `${address} copies`).toBe(1);
}

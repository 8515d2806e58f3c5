// The bcc strategy: external visible recipients move from To/Cc/Apparently-To to a Bcc field (a
// field left empty goes), for a draft that
// a mail client will send. Every byte outside the rewritten fields stays as it was.

import { MailguardError } from '../errors.js';
import { normaliseAddress, type Mailbox } from '../message/address-list.js';
import type { HeaderBlock } from '../message/header-block.js';
import type { Policy } from '../policy/policy.js';
import { composeField, countMailboxes, fieldItems, filterItems, type FieldItem } from './compose.js';
import { dkimImpact } from './dkim.js';
import { editFields, headerNewline, type FieldEdit } from './edit-fields.js';
import type { BccOptions, MovedRecipient, RewritePlan } from './plan.js';
import { prepareRewrite, REWRITTEN_VISIBLE_FIELDS, type RewriteChecked } from './prepare.js';

/** The group To shows when nobody is left in it (RFC 5322 3.6.3 suggests this form). */
export const UNDISCLOSED_GROUP = 'undisclosed-recipients:;';

/** Fields whose edit is collected as a list of byte chunks, then applied in one pass. */
type Chunks = Map<number, Uint8Array[]>;

function latin1(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

/** A user-given address as raw header text (UTF-8 bytes written as latin1 chars). */
export function addressAsHeaderText(address: string): string {
  return Buffer.from(address, 'utf8').toString('latin1');
}

/** The original bytes of a field, with a line end even if the input ended without one. */
export function originalField(bytes: Uint8Array, header: HeaderBlock, index: number): Uint8Array[] {
  const f = header.fields[index]!;
  const raw = bytes.subarray(f.start, f.end);
  const last = raw[raw.length - 1];
  return last === 0x0a || last === 0x0d ? [raw] : [raw, latin1(headerNewline(header))];
}

/** Applies collected chunks: an empty list removes the field. */
export function applyChunks(bytes: Uint8Array, header: HeaderBlock, chunks: Chunks): Uint8Array {
  const edits: FieldEdit[] = [];
  for (const [fieldIndex, parts] of chunks) {
    const edit: FieldEdit = { fieldIndex };
    if (parts.length > 0) edit.replacement = Buffer.concat(parts);
    edits.push(edit);
  }
  return editFields(bytes, header, edits);
}

/** The To placeholder: its text, which kind it is, and the address it adds (sender / address). */
export function placeholderFor(to: BccOptions['to'], fromMailbox: Mailbox | undefined): { text: string; kind: 'undisclosed' | 'sender' | 'address'; address?: string } {
  if (to === undefined || to === 'undisclosed') return { text: UNDISCLOSED_GROUP, kind: 'undisclosed' };
  if (to === 'sender') {
    if (!fromMailbox) throw new MailguardError('EREWRITE', 'To would be empty and the message has no readable From address to put there.', { hint: 'Use --to undisclosed or --to ADDRESS.' });
    return { text: fromMailbox.source, kind: 'sender', address: fromMailbox.address };
  }
  const address = normaliseAddress(to);
  if (address === undefined) {
    throw new MailguardError('EREWRITE', `"${to}" is not one valid address for To.`, { hint: 'Give an address such as list@corp.example, or undisclosed, or sender.' });
  }
  return { text: addressAsHeaderText(address), kind: 'address', address };
}

/** `checked`: the check of these bytes the caller made already (see RewriteChecked). */
export function rewriteToBcc(bytes: Uint8Array, policy: Policy, options: BccOptions = {}, checked?: RewriteChecked): { bytes: Uint8Array; plan: RewritePlan } {
  if (policy.sensitive) {
    throw new MailguardError('EREWRITE', 'a sensitive list is not fixed with Bcc: one reply-all or one leaked Bcc field exposes everyone.', {
      hint: 'Use the split strategy (mailguard fix --strategy split), which sends each recipient a copy of their own.',
      refusal: 'sensitive-bcc',
    });
  }
  const { result, parsed, list: listAt } = prepareRewrite(bytes, policy, checked);
  const { header } = parsed;
  const internal = new Map(result.recipients.visible.map((r) => [r.address, r.internal]));
  const moves = (m: Mailbox): boolean => options.allToBcc === true || internal.get(m.address) === false;

  const plan: RewritePlan = { strategy: 'bcc', moved: [], messages: 1, dkimBroken: false, dkimDomains: [], dkimRemoved: 0, keptVisible: [], addedRecipients: [] };
  const chunks: Chunks = new Map();
  const movedMailboxes: Mailbox[] = [];
  const movedSeen = new Set<string>();
  const kept = new Set<string>();
  const toIndexes: number[] = [];
  const visibleIndexes: number[] = [];
  let toHasMailboxes = false;
  const changed = new Set<string>();

  header.fields.forEach((f, i) => {
    if (!REWRITTEN_VISIBLE_FIELDS.has(f.key)) return;
    visibleIndexes.push(i);
    if (f.key === 'to') toIndexes.push(i);
    const list = listAt(i);
    const items = fieldItems(list.mailboxes, list.groups);
    const leaving = list.mailboxes.filter(moves);
    const remaining: FieldItem[] = leaving.length > 0 ? filterItems(items, (m) => !moves(m)) : items;
    for (const m of list.mailboxes) if (!moves(m)) kept.add(m.address);
    if (f.key === 'to' && countMailboxes(remaining) > 0) toHasMailboxes = true;
    if (leaving.length === 0) return;
    changed.add(f.key);
    for (const m of leaving) {
      // One mailbox written in two cases (`Ann@x`, `ann@x`) is one person, as split counts it: one
      // Bcc entry, one copy.
      const key = m.address.toLowerCase();
      if (movedSeen.has(key)) continue;
      movedSeen.add(key);
      movedMailboxes.push(m);
      plan.moved.push({ address: m.address, from: f.key, to: 'bcc' } satisfies MovedRecipient);
    }
    chunks.set(i, countMailboxes(remaining) > 0 ? [composeField(f.name, remaining, header)] : []);
  });
  plan.keptVisible = [...kept];
  if (movedMailboxes.length === 0) return { bytes, plan };

  // To left with nobody in it: the placeholder takes the first To field's place (or the first Cc's).
  if (!toHasMailboxes && (toIndexes.length === 0 || toIndexes.some((i) => chunks.has(i)))) {
    const fromMailbox = parsed.addresses.find((a) => a.field === 'from')?.mailbox;
    const ph = placeholderFor(options.to, fromMailbox);
    plan.toPlaceholder = ph.kind;
    const original = new Set([...kept, ...result.recipients.blind.map((r) => r.address)].map((a) => a.toLowerCase()).concat([...movedSeen]));
    if (ph.address !== undefined && !original.has(ph.address.toLowerCase())) plan.addedRecipients.push(ph.address);
    const at = toIndexes[0] ?? visibleIndexes[0]!;
    const name = toIndexes.length > 0 ? header.fields[at]!.name : 'To';
    const field = composeField(name, ph.text, header);
    const rest = chunks.get(at) ?? originalField(bytes, header, at);
    chunks.set(at, toIndexes.length > 0 ? [field] : [field, ...rest]);
    changed.add('to');
  }

  // The moved mailboxes join the first Bcc field, or a new one after the last To/Cc/Apparently-To field.
  const bccIndex = header.fields.findIndex((f) => f.key === 'bcc');
  if (bccIndex !== -1) {
    const f = header.fields[bccIndex]!;
    const list = listAt(bccIndex);
    const already = new Set(list.mailboxes.map((m) => m.address.toLowerCase()));
    const adding = movedMailboxes.filter((m) => !already.has(m.address.toLowerCase())).map((mailbox): FieldItem => ({ kind: 'mailbox', mailbox }));
    if (adding.length > 0) chunks.set(bccIndex, [composeField(f.name, [...fieldItems(list.mailboxes, list.groups), ...adding], header)]);
  } else {
    const at = visibleIndexes[visibleIndexes.length - 1]!;
    const before = chunks.get(at) ?? originalField(bytes, header, at);
    chunks.set(at, [...before, composeField('Bcc', movedMailboxes.map((mailbox): FieldItem => ({ kind: 'mailbox', mailbox })), header)]);
  }
  changed.add('bcc');

  const dkim = dkimImpact(header, changed);
  plan.dkimBroken = dkim.broken.length > 0;
  plan.dkimDomains = dkim.domains;
  if (options.removeDkim) {
    for (const i of dkim.broken) chunks.set(i, []);
    plan.dkimRemoved = dkim.broken.length;
  }
  return { bytes: applyChunks(bytes, header, chunks), plan };
}

// Writes address fields anew from the original bytes of each mailbox. Display names are never
// decoded and re-emitted: a mailbox is written back exactly as it stood (`Mailbox.source`, raw
// bytes as latin1), so an encoded word that decodes to CR/LF, `@` or `,` stays an encoded word.

import { MailguardError } from '../errors.js';
import type { Mailbox } from '../message/address-list.js';
import type { HeaderBlock } from '../message/header-block.js';
import { headerNewline } from './edit-fields.js';

/** Lines of a rewritten address field are folded before they pass this many bytes (RFC 5322 2.1.1 SHOULD). */
export const FOLD_AT_BYTES = 78;

/** A mailbox longer than this (its folds were unfolded when it was read) is folded again at its own
 * white space, so no line passes RFC 5322's hard limit of 998 bytes. */
export const REFOLD_AT_BYTES = 900;

/** One piece of an address field: a mailbox, or a group with its members. All text is raw (latin1). */
export type FieldItem = { kind: 'mailbox'; mailbox: Mailbox } | { kind: 'group'; name: string; members: Mailbox[] };

/** Refuses any text that could end a field early: CR, LF, NUL or another control byte. */
export function assertFieldSafe(text: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text)) {
    throw new MailguardError('EREWRITE', 'a rewritten field would contain a control character; the message was not rewritten.');
  }
}

/**
 * Rebuilds the structure of a parsed field: its mailboxes and groups, in order. Groups left with
 * no member are kept (`Name:;`), so a group name is never lost when its members move.
 */
export function fieldItems(mailboxes: readonly Mailbox[], groups: readonly string[]): FieldItem[] {
  const items: FieldItem[] = [];
  const seenGroups = new Set<string>();
  for (const mailbox of mailboxes) {
    if (mailbox.group === undefined) {
      items.push({ kind: 'mailbox', mailbox });
      continue;
    }
    const last = items[items.length - 1];
    if (last && last.kind === 'group' && last.name === mailbox.group) last.members.push(mailbox);
    else items.push({ kind: 'group', name: mailbox.group, members: [mailbox] });
    seenGroups.add(mailbox.group);
  }
  for (const name of groups) if (!seenGroups.has(name)) items.push({ kind: 'group', name, members: [] });
  return items;
}

/** Keeps only the mailboxes `keep` accepts; groups stay (possibly empty). */
export function filterItems(items: readonly FieldItem[], keep: (m: Mailbox) => boolean): FieldItem[] {
  return items.flatMap((item): FieldItem[] => {
    if (item.kind === 'mailbox') return keep(item.mailbox) ? [item] : [];
    return [{ kind: 'group', name: item.name, members: item.members.filter(keep) }];
  });
}

export function countMailboxes(items: readonly FieldItem[]): number {
  return items.reduce((n, i) => n + (i.kind === 'mailbox' ? 1 : i.members.length), 0);
}

function itemText(item: FieldItem): string[] {
  if (item.kind === 'mailbox') return [item.mailbox.source];
  if (item.members.length === 0) return [`${item.name}:;`];
  // A group is written as one run of pieces: "Name: a," ... "z;".
  const pieces = item.members.map((m, i) => (i === 0 ? `${item.name}: ` : '') + m.source);
  pieces[pieces.length - 1] += ';';
  return pieces;
}

/**
 * A complete field (name, value, line end) as bytes. Pieces are joined with commas and folded
 * between addresses; every piece is checked for control bytes first.
 */
export function composeField(name: string, items: readonly FieldItem[] | string, header: HeaderBlock): Uint8Array {
  const nl = headerNewline(header);
  const pieces: string[] = [];
  if (typeof items === 'string') {
    pieces.push(items);
  } else {
    items.forEach((item, i) => {
      const texts = itemText(item);
      // The separator after a group is a comma too ("G: a, b;, c" is valid), after a mailbox a comma.
      texts.forEach((t, k) => pieces.push(t + (k < texts.length - 1 || i < items.length - 1 ? ',' : '')));
    });
  }
  for (const p of pieces) assertFieldSafe(p);
  assertFieldSafe(name);
  let out = `${name}:`;
  let lineLength = out.length;
  for (const p of pieces) {
    if (lineLength + 1 + p.length > FOLD_AT_BYTES && lineLength > name.length + 1) {
      out += `${nl} ${p}`;
      lineLength = 1 + p.length;
    } else {
      out += ` ${p}`;
      lineLength += 1 + p.length;
    }
  }
  return Buffer.from(refold(out, nl) + nl, 'latin1');
}

/**
 * Breaks lines longer than REFOLD_AT_BYTES before white space they already contain. Unfolding
 * (removing a line break before white space) gives back exactly the same text, so this changes no
 * meaning; a line with no white space to break at stays as it is.
 */
export function refold(text: string, nl: string): string {
  return text
    .split(nl)
    .map((line) => {
      let out = '';
      let rest = line;
      while (rest.length > REFOLD_AT_BYTES) {
        let at = -1;
        for (let i = REFOLD_AT_BYTES; i > 0; i--) {
          const c = rest.charCodeAt(i);
          if (c === 0x20 || c === 0x09) {
            at = i;
            break;
          }
        }
        if (at === -1) break;
        out += rest.slice(0, at) + nl;
        rest = rest.slice(at);
      }
      return out + rest;
    })
    .join(nl);
}

// The body scan: bytes of a whole message in, the addresses each text part holds out (split into
// what the sender wrote and the quoted thread, read by message-text.ts) and what each attachment
// holds. Pure; classification is the rule's job.

import type { HeaderBlock } from '../message/header-block.js';
import { MAX_UNCOMPRESSED_BYTES } from '../limits.js';
import { scanAttachment, type AttachmentScan } from './attachments/index.js';
import { findParts } from './mime.js';
import { addressesOfTextParts, type PartAddresses } from './message-text.js';
import type { BodyScanOptions } from './settings.js';

export { bodyWorthScanning } from './mime.js';
export type { PartAddresses } from './message-text.js';
export type { BodyScanOptions } from './settings.js';

/** An attachment the scan opened (calendar, workbook, document, archive) and what it found. */
export interface ScannedAttachment {
  part: string;
  contentType: string;
  fileName?: string;
  /** Inside a forwarded message. */
  forwarded: boolean;
  scan: AttachmentScan;
}

/** A file name every reader shows in the message's attachment list, and the part header field that names it. */
export interface ShownFileName {
  name: string;
  field: string;
}

export interface MessageScan {
  parts: PartAddresses[];
  attachments: ScannedAttachment[];
  /** The names of the message's own attachments (not the top level's, read with the header). */
  fileNames: ShownFileName[];
}

/** Scans every text part and every attachment of a whole message. `header` may be passed when already read. */
export function scanMessage(message: Uint8Array, options: Pick<BodyScanOptions, 'maxPartBytes'>, header?: HeaderBlock): MessageScan {
  const found = findParts(message, options.maxPartBytes, header);
  // One zip-bomb budget for the whole message, whatever number of attachments it carries.
  const budget = { remaining: MAX_UNCOMPRESSED_BYTES };
  const attachments = found.binary.map((b) => {
    const a: ScannedAttachment = { part: b.part, contentType: b.contentType, forwarded: b.forwarded, scan: scanAttachment(b, budget) };
    if (b.fileName !== undefined) a.fileName = b.fileName;
    return a;
  });
  // Parts the MIME walk did not read are gaps in the scan (ATTACHMENT_NOT_SCANNED), not clean.
  for (const s of found.skipped) {
    const a: ScannedAttachment = { part: s.part, contentType: s.contentType, forwarded: s.forwarded === true, scan: { format: 'mime', units: [], calendars: [], notScanned: [s.detail === undefined ? { reason: s.reason } : { reason: s.reason, detail: s.detail }] } };
    if (s.fileName !== undefined) a.fileName = s.fileName;
    attachments.push(a);
  }
  const fileNames: ShownFileName[] = [];
  for (const p of found.text) if (p.shownName !== undefined) fileNames.push({ name: p.text, field: p.shownName });
  return { parts: addressesOfTextParts(found.text), attachments, fileNames };
}

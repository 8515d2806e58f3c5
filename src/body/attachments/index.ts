// The attachment scan: one decoded attachment in, the addresses per sheet, document or archive
// member out, with the calendar participants and what could not be read. Pure and synchronous
// (checkMessage is synchronous for every adapter); its libraries (htmlparser2, ical.js, node:zlib)
// are required on first use, so a message without such an attachment never loads them.

import { memberFormat, namesHtml, type AttachmentFormat } from '../attachment-kind.js';
import { decodeBytes, findParts, MAX_MESSAGE_TEXT_BYTES, PGP_ARMOUR, readsAsText, type BinaryPart, type TextPart } from '../mime.js';
import { MAX_ATTACHMENT_BYTES } from '../../limits.js';
import { addressesOfMessageText } from '../message-text.js';
import { findAddresses } from '../addresses.js';
import { scanCalendar } from './calendar.js';
import { scanOds, scanOdfText, scanOoxmlText } from './odf.js';
import { scanXlsx } from './xlsx.js';
import { readTnef, TNEF_SIGNATURE, TnefRefused, type TnefBody } from './tnef.js';
import type { AttachmentScan, NotScanned, ScanUnit } from './types.js';
import { listZip, looksLikeZip, readZipEntry, ZipRefused, type InflateBudget, type ZipEntry } from './zip.js';
import { gunzipAttachment, listTar, looksLikeGzip, looksLikeTar } from './gzip-tar.js';
import { readOutlookItem } from './outlook-msg.js';
import { looksLikeOutlookMsg } from '../../message/outlook-header.js';

export type { AttachmentScan } from './types.js';

/** "EncryptionInfo" in UTF-16LE: the stream a password-protected OOXML file keeps in its CFB container. */
const ENCRYPTION_INFO = Buffer.from('EncryptionInfo', 'utf16le');

/** TNEF's signature (0x223E9F78, little-endian): winmail.dat under any name. */
function isTnef(b: Uint8Array): boolean {
  return b.length >= 4 && Buffer.from(b.buffer, b.byteOffset, 4).readUInt32LE(0) === TNEF_SIGNATURE;
}

const isCfb = looksLikeOutlookMsg;

/** What zip-based office format an archive is, from its entries (when the name did not say). */
function sniffZip(entries: ZipEntry[]): AttachmentFormat {
  const names = new Set(entries.map((e) => e.name));
  if (names.has('xl/workbook.xml') || [...names].some((n) => /^xl\/.*workbook\d*\.xml$/.test(n))) return 'xlsx';
  if (names.has('word/document.xml')) return 'docx';
  if (names.has('ppt/presentation.xml')) return 'pptx';
  if (names.has('content.xml') && names.has('mimetype')) return 'odt'; // refined by the mimetype entry
  return 'zip';
}

function odfKind(bytes: Uint8Array, entries: ZipEntry[], budget: InflateBudget): AttachmentFormat {
  const m = entries.find((e) => e.name === 'mimetype');
  const type = m ? readZipEntry(bytes, m, budget, 256).toString('latin1') : '';
  if (type.includes('spreadsheet')) return 'ods';
  if (type.includes('presentation')) return 'odp';
  return 'odt';
}

function whole(addresses: Set<string>, entry?: string): ScanUnit {
  const unit: ScanUnit = { location: {}, addresses, hiddenAddresses: new Set(), hidden: [] };
  if (entry !== undefined) unit.location.entry = entry;
  return unit;
}

interface FileInput {
  bytes: Uint8Array;
  format: AttachmentFormat;
  charset?: string | undefined;
  /** The member this file is, when it came out of a zip, tar or TNEF attachment. */
  entry?: string;
  /** The attachment's file name (a gzip file's content is named after it). */
  fileName?: string | undefined;
}

/** Reads one file (an attachment, or a member of a zip attachment) into `out`. */
function scanFile(input: FileInput, budget: InflateBudget, out: AttachmentScan): void {
  const { bytes, entry } = input;
  let format = input.format;
  const refuse = (n: NotScanned): void => {
    out.notScanned.push(entry === undefined ? n : { ...n, entry });
  };
  // The bytes decide where the name and the declared type disagree.
  if (bytes.length >= 5 && Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-') format = 'pdf';
  else if (isCfb(bytes)) {
    const encrypted = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(ENCRYPTION_INFO);
    if (!encrypted && scanOutlookItem(input, budget, out)) return;
    if (!encrypted) out.units.push(whole(legacyStrings([bytes]), entry));
    refuse(encrypted ? { reason: 'encrypted', detail: format } : { reason: 'unsupported-format', detail: format === 'unknown' ? 'legacy-office' : format });
    return;
  } else if (looksLikeZip(bytes) && (format === 'unknown' || format === 'text')) format = 'zip-sniff' as AttachmentFormat;
  else if (isTnef(bytes)) format = 'tnef';
  else if (looksLikeGzip(bytes)) format = 'gzip';
  else if ((format === 'unknown' || format === 'archive') && looksLikeTar(bytes)) format = 'tar';
  switch (format) {
    case 'legacy-office':
      // An .xlsb is a zip of binary records: the strings of its parts are read, as an OLE file's are.
      if (looksLikeZip(bytes)) out.units.push(whole(legacyStrings(binaryParts(bytes, budget)), entry));
      refuse({ reason: 'unsupported-format', detail: format });
      return;
    case 'pdf':
    case 'archive':
    case 'smime':
      refuse({ reason: 'unsupported-format', detail: format });
      return;
    case 'tnef':
      // One level deep, as a zip: a winmail.dat inside an attachment is not opened.
      if (entry !== undefined) return refuse({ reason: 'nested-archive', detail: 'tnef' });
      out.format = 'tnef';
      scanTnefMembers(bytes, budget, out);
      return;
    case 'gzip':
    case 'tar':
      // One level deep, as a zip: a .tar.gz is one archive, a gzip or tar inside one is not opened.
      if (entry !== undefined) return refuse({ reason: 'nested-archive', detail: format });
      out.format = format;
      scanGzipOrTar(input, format, budget, out);
      return;
    case 'message':
      scanSavedMessage(bytes, entry, out);
      return;
    case 'pgp':
      refuse({ reason: 'encrypted', detail: format });
      return;
    case 'unknown':
      // A member of unknown type whose bytes read as text is read as text, as an attachment is (mime.ts).
      if (readsAsText(bytes) && !Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(PGP_ARMOUR)) {
        out.units.push(textUnit(input));
        return;
      }
      refuse({ reason: 'unknown-format' });
      return;
    case 'text':
      out.units.push(textUnit(input));
      return;
    case 'ics': {
      const scans = scanCalendar(decodeBytes(bytes, input.charset));
      for (const s of scans) {
        out.calendars.push(entry === undefined ? s : { ...s, entry });
        // A list in the invitation's text is read like one in a document.
        if (s.shown !== undefined) out.units.push(whole(new Set(s.shown), entry));
      }
      return;
    }
    default:
      break;
  }
  // Zip-based from here on.
  let entries: ZipEntry[];
  try {
    entries = listZip(bytes);
  } catch (err) {
    if (err instanceof ZipRefused) return refuse({ reason: err.reason === 'unreadable' ? 'unreadable' : err.reason, detail: err.detail ?? format });
    throw err;
  }
  if ((format as string) === 'zip-sniff' || (format === 'zip' && entry === undefined)) {
    const sniffed = sniffZip(entries);
    format = sniffed === 'odt' ? odfKind(bytes, entries, budget) : sniffed;
  } else if (format === 'odt' || format === 'ods' || format === 'odp') format = odfKind(bytes, entries, budget);
  out.format = entry === undefined ? format : out.format;
  let units: ScanUnit[];
  switch (format) {
    case 'xlsx':
      units = scanXlsx(bytes, entries, budget);
      break;
    case 'ods':
      units = scanOds(bytes, entries, budget);
      break;
    case 'odt':
    case 'odp':
      units = scanOdfText(bytes, entries, budget);
      break;
    case 'docx':
    case 'pptx':
      units = scanOoxmlText(bytes, entries, budget);
      break;
    case 'zip':
      if (entry !== undefined) return refuse({ reason: 'nested-archive' });
      scanZipMembers(bytes, entries, budget, out);
      return;
    default:
      return refuse({ reason: 'unknown-format' });
  }
  for (const u of units) {
    if (entry !== undefined) u.location.entry = entry;
    out.units.push(u);
  }
  scanPackageFiles(bytes, entries, budget, out, entry);
}

/** Where an office package keeps the files it embeds: OOXML's embeddings/ folders, ODF's "Object 1". */
const EMBEDDED_FILE = /(?:^|\/)embeddings\/|^Object \d+$/i;

/**
 * The files of an office package that are not its XML (read by the format's own reader): an
 * altChunk Word imports into the page it shows (HTML, MHT, plain text, a document), a file in
 * embeddings/ that the page shows as a table and opens whole on a double click. Each is read like
 * a zip member, by its name (text as text, an embedded workbook as a workbook); when the package
 * is itself a member, an embedded file other than text is one level too deep and is reported.
 * The package's own binary parts (pictures, fonts, printer settings, its VBA project: not text,
 * and not embedded files) are skipped, as before.
 */
function scanPackageFiles(bytes: Uint8Array, entries: ZipEntry[], budget: InflateBudget, out: AttachmentScan, entry: string | undefined): void {
  for (const e of entries) {
    if (e.name.endsWith('/') || /\.(?:xml|rels|vml)$/i.test(e.name)) continue;
    const format = memberFormat(e.name);
    if (format === undefined) continue; // pictures and the like
    const embedded = EMBEDDED_FILE.test(e.name);
    const name = entry === undefined ? e.name : `${entry}/${e.name}`;
    let member: Buffer;
    try {
      member = readZipEntry(bytes, e, budget, MAX_ATTACHMENT_BYTES);
    } catch (err) {
      if (!(err instanceof ZipRefused)) throw err;
      out.notScanned.push({ reason: err.reason, entry: name });
      continue;
    }
    const text = format === 'text' || (format === 'unknown' && readsAsText(member));
    if (!embedded && !text && format === 'unknown') continue; // the package's own binary parts
    if (entry !== undefined && !text) {
      out.notScanned.push({ reason: 'nested-archive', detail: format, entry: name });
      continue;
    }
    scanMember(member, name, budget, out, text ? 'text' : format);
  }
}

/**
 * The addresses a legacy binary office file shows (.xls, .doc, .ppt in an OLE container; the
 * binary parts of an .xlsb): these formats keep their strings as they are, one byte a character
 * (BIFF's compressed strings, Word's 8-bit text) or UTF-16LE (at either byte alignment), so the
 * bytes read those ways show what Excel and Word show. Not a reader of the format: a string cut
 * by the container (a sector, a CONTINUE record) may be missed, so the file stays reported as not
 * scanned beside what is found.
 */
function legacyStrings(files: Uint8Array[]): Set<string> {
  const found = new Set<string>();
  for (const f of files) {
    const b = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
    if (b.includes(0x40)) findAddresses(b.toString('latin1'), found);
    if (b.includes(AT_UTF16LE)) {
      findAddresses(b.toString('utf16le'), found);
      findAddresses(b.toString('utf16le', 1), found);
    }
  }
  return found;
}

const AT_UTF16LE = Buffer.from('@', 'utf16le');

/** The binary parts (.bin) of an .xlsb package, inflated within the message's budget; one that cannot be read is left out (the file is reported all the same). */
function binaryParts(bytes: Uint8Array, budget: InflateBudget): Buffer[] {
  const out: Buffer[] = [];
  try {
    for (const e of listZip(bytes)) {
      if (!/\.bin$/i.test(e.name)) continue;
      try {
        out.push(readZipEntry(bytes, e, budget, MAX_ATTACHMENT_BYTES));
      } catch (err) {
        if (!(err instanceof ZipRefused)) throw err;
      }
    }
  } catch (err) {
    if (!(err instanceof ZipRefused)) throw err;
  }
  return out;
}

/** A text file, read as a text attached is (a vCard's quoted-printable, a mailto: link's %40, invisible characters: message-text.ts); one named as HTML as a browser shows it. */
function textUnit(input: FileInput): ScanUnit {
  const kind = namesHtml(input.entry ?? input.fileName) ? 'html' : 'text';
  return whole(addressesOfMessageText([textAsPart(decodeBytes(input.bytes, input.charset), kind)]), input.entry);
}

/** A zip attachment: each member read as a file of its own, one level deep (a zip in it is not opened). */
function scanZipMembers(bytes: Uint8Array, entries: ZipEntry[], budget: InflateBudget, out: AttachmentScan): void {
  for (const e of entries) {
    if (e.name.endsWith('/')) continue;
    const format = memberFormat(e.name);
    if (format === undefined) continue; // pictures and the like
    let member: Buffer;
    try {
      member = readZipEntry(bytes, e, budget, MAX_ATTACHMENT_BYTES);
    } catch (err) {
      if (!(err instanceof ZipRefused)) throw err;
      out.notScanned.push({ reason: err.reason, entry: e.name });
      continue;
    }
    scanMember(member, e.name, budget, out, format);
  }
}

/**
 * A saved message (.eml) inside an archive or an Outlook item: read as a forwarded message is,
 * by the same reading (message-text.ts: the people its header shows, its text parts as a reader
 * sees them), one unit. Its own attachments are one level too deep: reported as not opened.
 */
function scanSavedMessage(bytes: Uint8Array, entry: string | undefined, out: AttachmentScan): void {
  const wrapped = Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), bytes]);
  const parts = findParts(wrapped, MAX_MESSAGE_TEXT_BYTES);
  out.units.push(whole(addressesOfMessageText(parts.text), entry));
  const at = (n: NotScanned): NotScanned => (entry === undefined ? n : { ...n, entry });
  for (const b of parts.binary) out.notScanned.push(at({ reason: 'nested-archive', detail: b.fileName ?? b.contentType }));
  for (const k of parts.skipped) out.notScanned.push(at(k.detail === undefined ? { reason: k.reason } : { reason: k.reason, detail: k.detail }));
}

/**
 * An OLE file that is an Outlook item (.msg): its header (the recipients Outlook shows), its text
 * and HTML as one "message text" unit, and its attachments read like a zip's members, one level
 * deep (an item inside it, or the item inside an archive, is reported as not opened). False when
 * the OLE file is not an Outlook mail item (a legacy Word or Excel file, damaged): reported as before.
 */
function scanOutlookItem(input: FileInput, budget: InflateBudget, out: AttachmentScan): boolean {
  let item: ReturnType<typeof readOutlookItem>;
  try {
    item = readOutlookItem(input.bytes);
  } catch {
    return false;
  }
  if (item === undefined) return false;
  if (input.entry !== undefined) {
    out.notScanned.push({ reason: 'nested-archive', detail: 'msg', entry: input.entry });
    return true;
  }
  out.format = 'msg';
  const texts = [textAsPart(item.header, 'text'), textAsPart(item.text, 'text')];
  if (item.html !== undefined) texts.push(textAsPart(item.html, 'html'));
  const unit = whole(addressesOfMessageText(texts));
  unit.location.messageText = true;
  out.units.push(unit);
  for (const a of item.attachments) {
    if (a.bytes === undefined) {
      out.notScanned.push({ reason: 'nested-archive', detail: 'msg', entry: a.name });
      continue;
    }
    if (memberFormat(a.name) === undefined) continue; // pictures and the like
    if (a.bytes.length > budget.remaining) {
      out.notScanned.push({ reason: 'too-large', entry: a.name });
      continue;
    }
    budget.remaining -= a.bytes.length;
    scanMember(a.bytes, a.name, budget, out);
  }
  return true;
}

/**
 * A gzip attachment (the file inside it read by the name gzip kept or the attachment's name
 * without .gz; a .tar.gz's files read one by one) or a tar attachment (each file read like a zip
 * member). The files read before a damaged tar header are scanned, and the damage reported.
 */
function scanGzipOrTar(input: FileInput, format: 'gzip' | 'tar', budget: InflateBudget, out: AttachmentScan): void {
  let bytes = input.bytes;
  let inner: string | undefined;
  if (format === 'gzip') {
    const file = gunzipAttachment(bytes, input.fileName, budget, MAX_ATTACHMENT_BYTES);
    bytes = file.bytes;
    inner = file.name;
    if (!looksLikeTar(bytes)) {
      // One compressed file: read as what its name says (as text, when unnamed and it is text).
      scanMember(bytes, inner ?? '(compressed file)', budget, out, inner === undefined ? 'unknown' : memberFormat(inner));
      return;
    }
  }
  const tar = listTar(bytes);
  for (const m of tar.members) scanMember(m.bytes, m.name, budget, out);
  if (tar.refused !== undefined) out.notScanned.push(refusal(tar.refused));
}

/**
 * One file out of an archive or an item (a zip, tar or TNEF member, an Outlook item's
 * attachment, a gzip's file), read as what its name says; pictures and the like are skipped, and
 * what cannot be read is reported under its name.
 */
function scanMember(bytes: Uint8Array, name: string, budget: InflateBudget, out: AttachmentScan, format: AttachmentFormat | undefined = memberFormat(name)): void {
  if (format === undefined) return;
  try {
    scanFile({ bytes, format, entry: name }, budget, out);
  } catch (err) {
    out.notScanned.push(refusal(err, name));
  }
}

/**
 * A TNEF attachment (winmail.dat): each packed attachment read as a file of its own, named by its
 * long file name (or its 8.3 title), one level deep like a zip's members; the message text TNEF
 * carries (which Outlook shows instead of the MIME body) as a text unit. What the stream could
 * not frame is reported; what came before it is still read.
 */
function scanTnefMembers(bytes: Uint8Array, budget: InflateBudget, out: AttachmentScan): void {
  const tnef = readTnef(bytes, budget);
  for (const [i, a] of tnef.attachments.entries()) {
    const name = a.name ?? '';
    const entry = name === '' ? `attachment ${i + 1} (no name)` : name;
    const format = memberFormat(name);
    if (format === undefined) continue; // pictures and the like
    if (a.data.length === 0) {
      // One cut off by damage to the stream is in the stream's own note (below).
      if (tnef.refused === undefined) out.notScanned.push({ reason: 'unreadable', detail: 'no attachment data', entry });
      continue;
    }
    for (const data of a.data) {
      if (data.length > budget.remaining) {
        out.notScanned.push({ reason: 'too-large', entry });
        continue;
      }
      budget.remaining -= data.length;
      scanMember(data, entry, budget, out, format);
    }
  }
  for (const body of tnef.bodies) scanTnefBody(body, out);
  if (tnef.refused !== undefined) {
    const n: NotScanned = { reason: tnef.refused.reason };
    if (tnef.refused.detail !== undefined) n.detail = tnef.refused.detail;
    out.notScanned.push(n);
  }
}

function scanTnefBody(body: TnefBody, out: AttachmentScan): void {
  const found = addressesOfMessageText([textAsPart(body.text, body.kind)]);
  // One unit for every rendering of the text (attBody, PidTagBody, HTML, RTF): the same list once.
  const unit = out.units.find((u) => u.location.messageText === true);
  if (unit !== undefined) for (const a of found) unit.addresses.add(a);
  else {
    const u = whole(found);
    u.location.messageText = true;
    out.units.push(u);
  }
  if (body.truncated) out.notScanned.push({ reason: 'partly-read', detail: 'the message text (compressed RTF)' });
}

/**
 * A text (an Outlook item's or a winmail.dat's header, plain text, HTML or RTF; a text file) as a
 * text part, for the reading every message's text gets (message-text.ts); the whole of it is
 * counted, as a forwarded message's is.
 */
function textAsPart(text: string, kind: TnefBody['kind']): TextPart {
  const part: TextPart = { part: '1', contentType: kind === 'html' ? 'text/html' : kind === 'rtf' ? 'text/rtf' : 'text/plain', text, html: kind === 'html', forwarded: true, truncated: false };
  if (kind === 'rtf') part.rtf = true;
  return part;
}

function refusal(err: unknown, entry?: string): NotScanned {
  const n: NotScanned = err instanceof ZipRefused || err instanceof TnefRefused ? { reason: err.reason } : { reason: 'unreadable', detail: (err as Error)?.message?.slice(0, 200) ?? String(err) };
  if ((err instanceof ZipRefused || err instanceof TnefRefused) && err.detail !== undefined) n.detail = err.detail;
  if (entry !== undefined) n.entry = entry;
  return n;
}

/** Scans one attachment. Never throws for what the attachment holds: what cannot be read is in `notScanned`. */
export function scanAttachment(part: BinaryPart, budget: InflateBudget): AttachmentScan {
  const out: AttachmentScan = { format: part.format, units: [], calendars: [], notScanned: [] };
  if (part.truncated) {
    out.notScanned.push({ reason: 'too-large', detail: `over ${MAX_ATTACHMENT_BYTES} bytes` });
    return out;
  }
  try {
    scanFile({ bytes: part.bytes, format: part.format, charset: part.charset, fileName: part.fileName }, budget, out);
  } catch (err) {
    // A half-read attachment is not scanned, whatever it gave before the failure.
    out.units = [];
    out.calendars = [];
    out.notScanned.push(refusal(err));
  }
  return out;
}

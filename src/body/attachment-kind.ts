// Which non-text parts the attachment scan opens (or must report as not scanned), by declared
// type and file name. Cheap and dependency-free: it runs on every part of every scanned message;
// the readers themselves (src/body/attachments/) load their libraries only when a part needs them.

/** Formats the scan reads, and the ones it knows but cannot read (reported, never called clean). */
export type AttachmentFormat =
  | 'ics'
  | 'xlsx'
  | 'ods'
  | 'docx'
  | 'pptx'
  | 'odt'
  | 'odp'
  | 'zip'
  | 'text'
  | 'pdf'
  | 'legacy-office'
  | 'archive'
  /** A gzip file (customers.csv.gz, export.tgz): the file inside read by its name (attachments/gzip-tar.ts). */
  | 'gzip'
  /** A tar archive: each file read like a zip member. */
  | 'tar'
  /** An Outlook item (.msg): its header, text and attachments (attachments/outlook-msg.ts). */
  | 'outlook'
  /** A saved message (.eml) inside an archive or an Outlook item: its header and text. */
  | 'message'
  /** S/MIME (application/pkcs7-mime): enveloped or opaque-signed content inside DER. */
  | 'smime'
  /** OpenPGP encrypted data. */
  | 'pgp'
  /** Outlook's winmail.dat (application/ms-tnef): attachments packed in TNEF, unpacked by Outlook and Gmail (read by attachments/tnef.ts). */
  | 'tnef'
  | 'unknown';

const BY_EXTENSION: Record<string, AttachmentFormat> = {
  ics: 'ics',
  ical: 'ics',
  ifb: 'ics',
  vcs: 'ics',
  xlsx: 'xlsx',
  xlsm: 'xlsx',
  xltx: 'xlsx',
  xltm: 'xlsx',
  ods: 'ods',
  ots: 'ods',
  fods: 'text',
  docx: 'docx',
  docm: 'docx',
  dotx: 'docx',
  pptx: 'pptx',
  pptm: 'pptx',
  odt: 'odt',
  ott: 'odt',
  fodt: 'text',
  odp: 'odp',
  zip: 'zip',
  pdf: 'pdf',
  xls: 'legacy-office',
  xlsb: 'legacy-office',
  doc: 'legacy-office',
  ppt: 'legacy-office',
  numbers: 'archive',
  pages: 'archive',
  rar: 'archive',
  '7z': 'archive',
  gz: 'gzip',
  tgz: 'gzip',
  tar: 'tar',
  bz2: 'archive',
  xz: 'archive',
  json: 'text',
  xml: 'text',
  md: 'text',
  ldif: 'text',
  log: 'text',
  p7m: 'smime',
  pgp: 'pgp',
  gpg: 'pgp',
  tnef: 'tnef',
  msg: 'outlook',
  eml: 'message',
};

const BY_TYPE: Record<string, AttachmentFormat> = {
  'text/calendar': 'ics',
  'application/ics': 'ics',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-excel.sheet.macroenabled.12': 'xlsx',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.presentation': 'odp',
  'application/zip': 'zip',
  'application/x-zip-compressed': 'zip',
  'application/x-zip': 'zip',
  'application/pdf': 'pdf',
  'application/msword': 'legacy-office',
  'application/vnd.ms-powerpoint': 'legacy-office',
  'application/x-rar-compressed': 'archive',
  'application/vnd.rar': 'archive',
  'application/x-7z-compressed': 'archive',
  'application/gzip': 'gzip',
  'application/x-gzip': 'gzip',
  'application/x-compressed-tar': 'gzip',
  'application/x-tar': 'tar',
  'application/x-gtar': 'tar',
  'application/pkcs7-mime': 'smime',
  'application/x-pkcs7-mime': 'smime',
  'application/pgp-encrypted': 'pgp',
  'application/vnd.ms-outlook': 'outlook',
  'application/ms-tnef': 'tnef',
  'application/vnd.ms-tnef': 'tnef',
  'application/json': 'text',
  'application/xml': 'text',
  'text/xml': 'text',
  'text/markdown': 'text',
  'text/x-ldif': 'text',
};

/** Types that never hold a readable list: pictures, sound, film, detached signatures, keys,
 * fonts, a Mac file's resource fork (application/applefile, beside its data in multipart/appledouble). */
const NOT_LISTS = /^(?:image|audio|video|font|model)\/|^application\/(?:pkcs7-signature|x-pkcs7-signature|pgp-signature|pgp-keys|applefile)$/;

/** File names inside a zip that hold no readable list (pictures, sound, film, fonts, programs). */
const NOT_LIST_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'bmp', 'tif', 'tiff', 'svg', 'webp', 'heic', 'ico', 'emf', 'wmf', 'mp3', 'mp4', 'm4a', 'wav', 'mov', 'avi', 'mkv', 'ttf', 'otf', 'woff', 'woff2', 'exe', 'dll', 'so', 'dylib', 'class', 'jar']);

/** The format of a member of a zip attachment, from its name; undefined for pictures and the like. */
export function memberFormat(name: string): AttachmentFormat | undefined {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const ext = extensionOf(base);
  if (ext !== undefined && NOT_LIST_EXTENSIONS.has(ext)) return undefined;
  if (ext !== undefined && ['csv', 'tsv', 'txt', 'vcf', 'vcard'].includes(ext)) return 'text';
  return attachmentFormat('application/octet-stream', base);
}

/** A file name as Windows saves it, lower-cased: trailing spaces and dots dropped ("list.xlsx. " opens as an xlsx). */
export function savedName(fileName: string): string {
  return fileName.toLowerCase().replace(/[\s.]+$/, '');
}

/** Whether a browser opens a file so named as HTML (list.html saved from an attachment, whatever
 * type it was sent as, or taken out of an archive): then it shows `p&#64;x.test` as p@x.test. */
export function namesHtml(fileName: string | undefined): boolean {
  return fileName !== undefined && /\.(?:x?html?|shtml)$/.test(savedName(fileName));
}

function extensionOf(fileName: string | undefined): string | undefined {
  if (fileName === undefined) return undefined;
  const name = savedName(fileName);
  const dot = name.lastIndexOf('.');
  return dot === -1 ? undefined : name.slice(dot + 1).trim().toLowerCase();
}

/**
 * The format a non-text part is read as, or undefined when it is not one the scan looks at. The
 * file name wins over the declared type (mail programs send workbooks as application/octet-stream
 * or vnd.ms-excel); any other part, named or not, that is not a picture or the like is 'unknown'
 * and reported as not scanned: a reader's client offers an unnamed part for download all the same
 * ("ATT00001.bin", "noname"), and an unnamed S/MIME or TNEF part is the whole message to its reader.
 */
export function attachmentFormat(type: string, fileName: string | undefined): AttachmentFormat | undefined {
  const ext = extensionOf(fileName);
  const byExt = ext === undefined ? undefined : BY_EXTENSION[ext];
  if (byExt !== undefined) return byExt;
  // vnd.ms-excel is sent for CSV files as often as for .xls: the content decides (see sniffing).
  if (type === 'application/vnd.ms-excel') return 'unknown';
  const byType = BY_TYPE[type];
  if (byType !== undefined) return byType;
  // Not message/*: a forwarded message is walked before this is asked (mime.ts), and any other
  // subtype (message/partial, message/delivery-status, message/x-anything) is to be treated as
  // application/octet-stream (RFC 2046 5.2.4): read as text when its bytes are text, else reported.
  if (NOT_LISTS.test(type) || type.startsWith('text/') || type.startsWith('multipart/')) return undefined;
  return 'unknown';
}

// "What nodemailer will really write": a message object (sendMail options, a campaign message)
// compiled by nodemailer's own composer, so the check sees every field nodemailer writes (those
// from `headers` too, in object and array form, and the X-Mailer, priority and List-* fields its
// sendMail adds after compiling), a `raw` message as it will be sent, and the
// envelope nodemailer delivers to (`envelope`, else the recipients of every To, Cc and Bcc field
// it writes; for campaigns, Apparently-To's too). nodemailer is loaded here, lazily: only
// campaigns and the plugin need it.

import { MailguardError } from '../errors.js';
import { normaliseAddress } from '../message/address-list.js';
import type { Envelope } from '../message/envelope.js';
import { parseMessage } from '../message/parse-message.js';

export interface Composed {
  /** The message as nodemailer writes it: its header block only when headersOnly (not raw). */
  bytes: Uint8Array;
  /** The whole message is in `bytes`. */
  complete: boolean;
  envelope: Envelope;
  /** The message is `raw`: nodemailer sends these bytes unchanged. */
  raw: boolean;
}

type Obj = Record<string, unknown>;

/** The bytes of a `raw` value, or undefined when it is something mailguard cannot read here. */
export function rawValueBytes(raw: unknown): Uint8Array | undefined {
  if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
  if (raw instanceof Uint8Array) return raw;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const content = (raw as Obj).content;
    if (typeof content === 'string') return Buffer.from(content, 'utf8');
    if (content instanceof Uint8Array) return content;
  }
  return undefined;
}

/**
 * Compiles a message object as nodemailer's sendMail does (MailComposer), returning its bytes and
 * envelope. Content must already be bytes or strings (see resolveCampaignContent) unless
 * `contentAccess` lets nodemailer read attachment paths and URLs as it will when sending (the
 * plugin); a `raw` that is a stream, a path or a URL is refused (EINPUT), since checking it would
 * consume or fetch it.
 */
interface ComposeOptions {
  /** Only the header block is built (the body is not read). */
  headersOnly: boolean;
  /** nodemailer may read attachment paths and URLs (the plugin); a campaign never lets it. */
  contentAccess?: boolean;
  /**
   * An envelope nodemailer builds from the header (no `envelope`, no `raw`) gets every recipient
   * of the Apparently-To fields it writes too (from `headers`), as mailguard send and sendmail -t
   * read a message's own header (headerRecipients). nodemailer leaves them out; a campaign that
   * mailguard send relays must not: the people its header shows as recipients receive it, as
   * they would from the same message sent as a file, and a Bcc rewrite that moves them keeps them.
   */
  apparentlyTo?: boolean;
  /**
   * The message is built as a transport that keeps nodemailer's Bcc field writes it (its
   * Sendmail, stream and JSON transports set keepBcc on the compiled message): a Bcc field,
   * from `bcc` or from `headers`, is in the bytes.
   */
  keepBcc?: boolean;
}

/** The Apparently-To recipients of `bytes`' header, in order (those the strict parser reads). */
function apparentlyToRecipients(bytes: Uint8Array): string[] {
  return parseMessage(bytes)
    .addresses.filter((a) => a.field === 'apparently-to')
    .map((a) => a.mailbox.address);
}

/** `rcptTo` with `more` added, each address once (compared normalised). */
function addRecipients(rcptTo: readonly string[], more: readonly string[]): string[] {
  const out = [...rcptTo];
  const seen = new Set(rcptTo.map((a) => normaliseAddress(a) ?? a));
  for (const a of more) {
    if (seen.has(a)) continue;
    seen.add(a);
    out.push(a);
  }
  return out;
}

/**
 * The fields nodemailer's sendMail writes after the compile plugins ran (Mailer.sendMail: right
 * after MailComposer's compile(), setMailerHeader, setPriorityHeaders and setListHeaders): X-Mailer
 * from `xMailer`, X-Priority, X-MSMail-Priority and Importance from `priority`, and a List-* field
 * for every key of `list` (`list: { members: [...] }` writes List-Members). They are added with
 * nodemailer's own methods, so what is checked is what it sends; a raw message gets none of them.
 */
async function addSendMailFields(node: object, data: Obj): Promise<void> {
  if (!data.xMailer && !data.priority && !data.list) return;
  const { default: MailMessage } = await import('nodemailer/lib/mailer/mail-message.js');
  // The methods read only `message` and `data` of their MailMessage: a view holding this node.
  const view = Object.assign(Object.create(MailMessage.prototype) as InstanceType<typeof MailMessage>, { message: node, data });
  view.setMailerHeader();
  view.setPriorityHeaders();
  view.setListHeaders();
}

export async function composeLikeNodemailer(data: Obj, options: ComposeOptions): Promise<Composed> {
  const { default: MailComposer } = await import('nodemailer/lib/mail-composer');
  let rawBytes: Uint8Array | undefined;
  if (data.raw !== undefined && data.raw !== null && data.raw !== false && data.raw !== '') {
    rawBytes = rawValueBytes(data.raw);
    if (rawBytes === undefined) {
      throw new MailguardError('EINPUT', 'the raw message is a stream, a path or a URL, which mailguard cannot check without consuming or fetching it.', {
        hint: 'Give raw as a string or a Buffer (read the file first).',
      });
    }
  }
  let node;
  try {
    // Campaigns (a file anyone may have written) never make nodemailer read a path or fetch a URL;
    // the plugin (the application's own sendMail data) reads what nodemailer itself will read,
    // unless the data says otherwise.
    const access = options.contentAccess ? {} : { disableFileAccess: true, disableUrlAccess: true };
    node = new MailComposer({ ...data, ...access } as ConstructorParameters<typeof MailComposer>[0]).compile();
    if (rawBytes === undefined) await addSendMailFields(node, data);
  } catch (err) {
    throw new MailguardError('EINPUT', `nodemailer cannot build this message: ${(err as Error).message}`);
  }
  if (options.keepBcc) node.keepBcc = true;
  const e = node.getEnvelope() as { from?: string | false; to?: string[] };
  const envelope: Envelope = { mailFrom: typeof e.from === 'string' ? e.from : '', rcptTo: [...(e.to ?? [])] };
  if (rawBytes !== undefined) return { bytes: rawBytes, complete: true, envelope, raw: true };
  let bytes: Uint8Array;
  if (options.headersOnly) bytes = Buffer.from(`${node.buildHeaders()}\r\n\r\n`, 'utf8');
  else {
    try {
      bytes = await node.build();
    } catch (err) {
      throw new MailguardError('EINPUT', `nodemailer cannot build this message: ${(err as Error).message}`);
    }
  }
  // nodemailer built the envelope from the header unless `envelope` was given (a truthy one, as
  // MailComposer tests it).
  if (options.apparentlyTo && !data.envelope) envelope.rcptTo = addRecipients(envelope.rcptTo, apparentlyToRecipients(bytes));
  return { bytes, complete: !options.headersOnly, envelope, raw: false };
}

// Turns a JSON campaign message (the object a send script hands to nodemailer) into the bytes
// nodemailer would send, so `mailguard send campaign.json` checks and relays the real message.
// nodemailer is loaded here, lazily.

import { createHash } from 'node:crypto';
import { MailguardError } from '../errors.js';

/**
 * Compiles one campaign message. Without a messageId one is derived from the message object,
 * so a rerun builds the same Message-ID (the journal's identity for campaigns is the object).
 * URL content is never fetched; file paths are read as nodemailer would read them.
 */
export async function compileCampaignMessage(mail: Record<string, unknown>): Promise<{ bytes: Uint8Array; identityBytes: Uint8Array }> {
  const identityBytes = Buffer.from(JSON.stringify(mail), 'utf8');
  const { default: MailComposer } = await import('nodemailer/lib/mail-composer');
  const data: Record<string, unknown> = { ...mail, disableUrlAccess: true };
  if (data.messageId === undefined) {
    const from = JSON.stringify(data.from ?? '');
    const domain = /@([A-Za-z0-9.-]+)/.exec(from)?.[1] ?? 'mailguard.invalid';
    data.messageId = `<${createHash('sha256').update(identityBytes).digest('hex').slice(0, 32)}@${domain}>`;
  }
  try {
    const bytes = await new MailComposer(data as ConstructorParameters<typeof MailComposer>[0]).compile().build();
    return { bytes, identityBytes };
  } catch (err) {
    throw new MailguardError('EINPUT', `the campaign message cannot be built: ${(err as Error).message}`);
  }
}

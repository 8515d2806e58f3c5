// What the attachment tests share: a message with attachments checked with the body scan on,
// and the arguments of one finding code.
import { checkMessage, createPolicy, type Finding, type FindingArgs } from '../../src/index.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { buildMessage, type AttachmentSpec } from './office-files.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const body = { minAddresses: DEFAULT_BODY_SCAN.minAddresses, maxPartBytes: DEFAULT_BODY_SCAN.maxPartBytes };

/** Checks a message from anna@corp.example carrying `attachments`, body scan included. */
export function checkAttachments(attachments: AttachmentSpec[]) {
  return checkMessage(buildMessage(attachments), policy, { source: 't', body });
}

/** The arguments (and severity) of every `code` finding. */
export function argsOf<C extends Finding['code']>(findings: Finding[], code: C): Array<FindingArgs[C] & { severity: string }> {
  return findings.flatMap((f) => (f.code === code ? [{ ...(f.args as FindingArgs[C]), severity: f.severity }] : []));
}

/** Not-scanned notes as [entry, reason]. */
export const notScanned = (fs: Finding[]) => argsOf(fs, 'ATTACHMENT_NOT_SCANNED').map((a) => [a.entry, a.reason]);

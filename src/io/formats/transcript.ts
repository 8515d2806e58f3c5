// SMTP transcripts (what a client sent: EHLO, MAIL FROM, RCPT TO, DATA ...): each transaction
// is a message with its envelope. Recognised by the first command (or the server's 220 banner).

import { looksLikeSmtpTranscript, parseSmtpTranscript } from '../../message/smtp-transcript.js';
import { failure, wholeOrFailure, headText, type InputFormatDefinition, type InputItem, type InputMessage } from './types.js';

/** Problems of a bad transcript named in its one failure; the rest are counted. */
export const MAX_TRANSCRIPT_PROBLEMS_SHOWN = 3;

export function looksLikeTranscript(head: Uint8Array): boolean {
  return looksLikeSmtpTranscript(headText(head, 2048));
}

export function* fromTranscript(bytes: Uint8Array, source: string, file: string | undefined): Generator<InputItem> {
  const transcript = parseSmtpTranscript(bytes);
  // One failure for the file however many lines are wrong (a message read as a transcript has a
  // problem on every line); its good transactions are still checked.
  const problems = transcript.problems;
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_TRANSCRIPT_PROBLEMS_SHOWN).map((p) => `line ${p.line}: ${p.problem}`);
    const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
    const what = transcript.transactions.length === 0 ? 'no complete SMTP transaction; ' : '';
    yield failure(source, 'bad-transcript', `${what}${shown.join('; ')}${more}`);
  }
  let n = 0;
  for (const t of transcript.transactions) {
    n++;
    const msg: InputMessage = { source: `${source}#${n}`, bytes: t.data, complete: true, format: 'smtp', envelope: t.envelope, lineOffset: t.lineOffset };
    if (file !== undefined) msg.path = file;
    yield msg;
  }
  if (transcript.transactions.length === 0 && transcript.problems.length === 0) {
    yield failure(source, 'bad-transcript', 'the transcript holds no complete transaction (MAIL FROM, RCPT TO, DATA, ".")');
  }
}

export const transcript: InputFormatDefinition = {
  name: 'smtp',
  description: 'SMTP transcripts (EHLO, MAIL FROM, RCPT TO, DATA): each transaction with its envelope',
  sniff: (head) => looksLikeTranscript(head),
  async *read(src) {
    const bytes = await wholeOrFailure(src);
    if ('failure' in bytes) {
      yield bytes;
      return;
    }
    yield* fromTranscript(bytes, src.source, src.file);
  },
};

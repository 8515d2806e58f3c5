// Writing reports: stdout, or a file with --output. Only the CLI writes.

import { writeSync } from 'node:fs';
import { MailguardError } from '../errors.js';
import { exitQuietlyOnEpipe } from './report-error.js';
import { formatStderrNote } from '../report/error-text.js';
import type { OutputSet } from '../io/output-set.js';

export async function writeReport(text: string, output: string | undefined): Promise<void> {
  await writeReportPieces([text], output);
}

/** The error for a report stdout did not take (a full disk, a closed or read-only file). */
function stdoutError(err: Error): MailguardError {
  return new MailguardError('EUSAGE', `cannot write the report to stdout: ${err.message}`, { hint: 'Check where standard output goes (a full disk, a closed or read-only file).' });
}

/**
 * Set once a write has gone through process.stdout: every later one does too, in order. Until then
 * reports are written to descriptor 1 directly: creating process.stdout loads Node's stream modules
 * (about 9M instructions, a tenth of `node -e 0`, in a cold `mailguard check`: bench scenario 5),
 * and on Linux and macOS process.stdout writes files, pipes and terminals synchronously anyway.
 * Windows keeps process.stdout (its console takes UTF-16, not the bytes of fs.writeSync).
 */
let viaStream = process.platform === 'win32';

/**
 * Writes `piece` to stdout; true when the reader has gone (EPIPE: `check ... | head`), so the
 * caller stops writing (the exit code is already set). Other failures reject with the reason.
 */
export async function writeStdout(piece: string | Uint8Array): Promise<boolean> {
  let rest = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
  while (!viaStream && rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(1, rest));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return true;
      // A descriptor another process made non-blocking (a shared pipe or terminal) that is full:
      // process.stdout waits for it to drain, so it takes the rest, and everything after.
      if (code !== 'EAGAIN') throw stdoutError(err as Error);
      viaStream = true;
    }
  }
  if (rest.length === 0) return false;
  exitQuietlyOnEpipe();
  return new Promise<boolean>((resolve, reject) => {
    process.stdout.write(rest, (err) => {
      // EPIPE (the reader stopped early: `| head`): exitQuietlyOnEpipe exits with the code set.
      if (!err) resolve(false);
      else if ((err as NodeJS.ErrnoException).code === 'EPIPE') resolve(true);
      else reject(stdoutError(err));
    });
  });
}

/**
 * Writes a report given in pieces (a long report is never one string in memory), to stdout or
 * the --output file, waiting for each piece to be taken. The file is staged (src/io/output-set.ts):
 * a run that fails part-way leaves neither a cut-off report nor a truncated earlier one. With `set`
 * the file joins that set and shows only when the caller commits it (audit's several outputs).
 */
export async function writeReportPieces(pieces: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, output: string | undefined, set?: OutputSet): Promise<void> {
  if (output === undefined || output === '-') {
    for await (const piece of pieces) if (await writeStdout(piece)) return;
    return;
  }
  const own = set ?? (await import('../io/output-set.js')).createOutputSet();
  try {
    await own.write(output, pieces);
    if (own !== set) await own.commit();
  } catch (err) {
    if (own !== set) await own.abort();
    if (err instanceof MailguardError) throw err;
    throw new MailguardError('EUSAGE', `cannot write the report to ${output}: ${(err as Error).message}`);
  }
}

/** Appends Markdown (given in pieces) to the GitHub Actions step summary file ($GITHUB_STEP_SUMMARY). */
export async function appendStepSummary(file: string, markdown: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>): Promise<void> {
  const { open } = await import('node:fs/promises');
  let handle;
  try {
    handle = await open(file, 'a');
    for await (const piece of markdown) await handle.writeFile(piece);
    await handle.close();
  } catch (err) {
    await handle?.close().catch(() => undefined);
    // The annotations and the exit code already tell the result; a missing summary must not change it.
    process.stderr.write(formatStderrNote(`mailguard: warning: cannot append the step summary to ${file} (GITHUB_STEP_SUMMARY): ${(err as Error).message}\n`));
  }
}

/**
 * A CI service runs this: its logs are often public (an open-source repository's Actions), so
 * check masks addresses there in every format. `CI` as GitHub, GitLab, CircleCI, Travis,
 * Buildkite, Jenkins' plugins and others set it (not "false" or "0"), and Azure's TF_BUILD.
 */
export function runsInCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  if (ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false') return true;
  return env.GITHUB_ACTIONS === 'true' || env.TF_BUILD?.toLowerCase() === 'true';
}

/** Reads a yes/no redact setting: flag, then config, then the format's default. */
export function resolveRedact(flag: boolean | undefined, configured: boolean | undefined, publicFormat: boolean): boolean {
  if (flag !== undefined) return flag;
  if (configured !== undefined) return configured;
  return publicFormat;
}

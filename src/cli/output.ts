// Writing reports: stdout, or a file with --output. Only the CLI writes.

import { writeFile } from 'node:fs/promises';
import { MailguardError } from '../errors.js';

export async function writeReport(text: string, output: string | undefined): Promise<void> {
  if (output === undefined || output === '-') {
    await new Promise<void>((resolve, reject) => {
      process.stdout.write(text, (err) => {
        // EPIPE (the reader stopped early: `| head`) is handled in main.ts with the exit code set.
        if (!err || (err as NodeJS.ErrnoException).code === 'EPIPE') resolve();
        else reject(new MailguardError('EUSAGE', `cannot write the report to stdout: ${err.message}`, { hint: 'Check where standard output goes (a full disk, a closed or read-only file).' }));
      });
    });
    return;
  }
  try {
    await writeFile(output, text);
  } catch (err) {
    throw new MailguardError('EUSAGE', `cannot write the report to ${output}: ${(err as Error).message}`);
  }
}

/**
 * Writes a report given in pieces (a long report is never one string in memory), to stdout or
 * the --output file, waiting for each piece to be taken.
 */
export async function writeReportPieces(pieces: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, output: string | undefined): Promise<void> {
  if (output === undefined || output === '-') {
    for await (const piece of pieces) {
      const stop = await new Promise<boolean>((resolve, reject) => {
        process.stdout.write(piece, (err) => {
          // EPIPE (the reader stopped early: `| head`) is handled in main.ts with the exit code set.
          if (!err) resolve(false);
          else if ((err as NodeJS.ErrnoException).code === 'EPIPE') resolve(true);
          else reject(new MailguardError('EUSAGE', `cannot write the report to stdout: ${err.message}`, { hint: 'Check where standard output goes (a full disk, a closed or read-only file).' }));
        });
      });
      if (stop) return;
    }
    return;
  }
  const { open } = await import('node:fs/promises');
  let handle;
  try {
    handle = await open(output, 'w');
    // writeFile on a handle writes on from where the last write ended, all of it (write() may take part).
    for await (const piece of pieces) await handle.writeFile(piece);
  } catch (err) {
    if (err instanceof MailguardError) throw err;
    throw new MailguardError('EUSAGE', `cannot write the report to ${output}: ${(err as Error).message}`);
  } finally {
    await handle?.close();
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
    process.stderr.write(`mailguard: warning: cannot append the step summary to ${file} (GITHUB_STEP_SUMMARY): ${(err as Error).message}\n`);
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

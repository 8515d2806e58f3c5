// mailguard sendmail (also the bin mailguard-sendmail): sendmail's command-line conventions do
// not fit commander (-oi, -fSENDER, -bm, unknown -oXXX), so the arguments pass through raw and
// src/sendmail/args.ts parses them. The work is loaded lazily, as for every command.

import path from 'node:path';
import type { Command } from 'commander';

/** Entry of the mailguard-sendmail bin and of `mailguard sendmail` (src/cli/main.ts hands it the
 * arguments before commander sees them): the raw argv straight to the action. */
export async function sendmailMain(argv: string[], programPath?: string): Promise<void> {
  // Callers read the exit status; stderr and stdout are a courtesy. A write to a pipe whose reader
  // is gone (the caller closed it, a log process died) fails with EPIPE, emitted as an 'error'
  // event: unheard, it ended the process with status 1 before the message was sent.
  for (const stream of [process.stderr, process.stdout]) stream.on('error', () => {});
  const { defaultIo, runSendmail } = await import('../actions/sendmail.js');
  // Run through a link named mailq or newaliases, it is asked for that mode (src/sendmail/args.ts).
  process.exitCode = await runSendmail(argv, programPath === undefined ? defaultIo() : { ...defaultIo(), programName: path.basename(programPath) });
}

export function registerSendmail(program: Command): void {
  program
    .command('sendmail')
    .summary('a drop-in sendmail: check the message on stdin, then deliver it or refuse (sysexits)')
    .description(
      'Reads a message on stdin with sendmail\'s conventions (-t, -i/-oi, -f, -F, recipients), checks it ' +
        'with the policy, applies the on-violation action and delivers through the SMTP relay or a real ' +
        'sendmail binary. Also installed as mailguard-sendmail.\n\nRun "mailguard sendmail --help" for its options and exit codes.',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'sendmail options and recipients')
    // Reached only through "mailguard help sendmail"-style routes; main.ts normally bypasses commander.
    .action(async (args: string[]) => {
      await sendmailMain(args);
    });
}

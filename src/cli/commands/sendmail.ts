// mailguard sendmail (also the bin mailguard-sendmail): sendmail's command-line conventions do
// not fit commander (-oi, -fSENDER, -bm, unknown -oXXX), so the arguments pass through raw and
// src/sendmail/args.ts parses them. The work is loaded lazily, as for every command.

import type { Command } from 'commander';

/** The arguments after "sendmail" exactly as given (commander drops a leading "--"). */
function rawArguments(parsed: string[]): string[] {
  const at = process.argv.indexOf('sendmail', 2);
  return at === -1 ? parsed : process.argv.slice(at + 1);
}

/** Entry of the mailguard-sendmail bin: no commander, the raw argv straight to the action. */
export async function sendmailMain(argv: string[]): Promise<void> {
  const { runSendmail } = await import('../actions/sendmail.js');
  process.exitCode = await runSendmail(argv);
}

export function registerSendmail(program: Command): void {
  program
    .command('sendmail')
    .summary('a drop-in sendmail: check the message on stdin, then deliver it or refuse (sysexits)')
    .description(
      'Reads a message on stdin with sendmail\'s conventions (-t, -i/-oi, -f, -F, recipients), checks it\n' +
        'with the policy, applies the on-violation action and delivers through the SMTP relay or a real\n' +
        'sendmail binary. Also installed as mailguard-sendmail. Run "mailguard sendmail --help" for its options.',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'sendmail options and recipients')
    .action(async (args: string[]) => {
      await sendmailMain(rawArguments(args));
    });
}

// The commander program: every command and its flags, help and usage errors. Loaded by main.ts
// for everything but the plain `mailguard check` fast path (check-args.ts), so that path does not
// pay for commander (about a tenth of a cold start: its files, and node:child_process with it).

import { Command, CommanderError } from 'commander';
import { registerCheck } from './commands/check.js';
import { registerExplain } from './commands/explain.js';
import { registerInit } from './commands/init.js';
import { registerFix } from './commands/fix.js';
import { registerSend } from './commands/send.js';
import { registerSendmail } from './commands/sendmail.js';
import { registerProxy } from './commands/proxy.js';
import { registerMilter } from './commands/milter.js';
import { registerAudit } from './commands/audit.js';
import { registerNotify } from './commands/notify.js';
import { registerCompletion } from './commands/completion.js';
import { adaptSuggestions, programName } from './program-name.js';
import { EXIT } from './exit-codes.js';
import { VERSION } from '../version.js';
import { formatStderrNote } from '../report/error-text.js';

export function buildProgram(): Command {
  const program = new Command(programName());
  program
    .description('Guardrail in the send path: finds exposed recipient lists in outgoing mail and blocks, rewrites or relays safely.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    .exitOverride();
  registerCheck(program);
  registerInit(program);
  registerExplain(program);
  registerFix(program);
  registerSend(program);
  registerSendmail(program);
  registerProxy(program);
  registerMilter(program);
  registerAudit(program);
  registerNotify(program);
  registerCompletion(program);
  program.addHelpText(
    'after',
    '\nExit codes: 0 clean, 1 policy violation, 2 could not check (usage, config,\n' +
      'unreadable input, relay failure). mailguard sendmail uses sendmail\'s exit\n' +
      'codes (sysexits) instead: see "mailguard sendmail --help".\n' +
      'Run "mailguard <command> --help" for a command\'s options.',
  );
  // Subcommands inherit exitOverride so usage errors come back here (exit 2, not commander's 1).
  for (const cmd of program.commands) {
    cmd.exitOverride();
    cmd.description(reflow(cmd.description()));
  }
  // Help text examples say "mailguard check ...": shown as the user started it (npx mailguard).
  // Its error messages quote the argument they refuse (an address given where an option was meant): masked as every error on stderr.
  const output = {
    writeOut: (s: string) => process.stdout.write(adaptSuggestions(s)),
    writeErr: (s: string) => process.stderr.write(adaptSuggestions(s)),
    outputError: (s: string, write: (s: string) => void) => write(formatStderrNote(s)),
  };
  for (const cmd of [program, ...program.commands]) cmd.configureOutput(output);
  return program;
}

/**
 * Descriptions are written with line breaks for the source's sake; commander wraps to the
 * terminal itself, so a break inside a paragraph is joined. Breaks before an empty line, an
 * indented line, a list item or a `label:` line are kept.
 */
export function reflow(text: string): string {
  const lines = text.split('\n');
  let out = lines[0] ?? '';
  for (let i = 1; i < lines.length; i++) {
    const prev = lines[i - 1]!;
    const line = lines[i]!;
    const keep = prev.trim() === '' || line.trim() === '' || /^\s/.test(line) || /^[-*•]\s/.test(line) || /^[\w-]+:\s/.test(line);
    out += keep ? `\n${line}` : ` ${line}`;
  }
  return out;
}

/**
 * Parses `argv` with commander and runs the command. Usage errors, help and version set the exit
 * code here; every other error is thrown to main.ts.
 */
export async function runProgram(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help shown because no command was given (`mailguard`, `mailguard help nope`) is a usage error.
      if (err.code === 'commander.help' && err.exitCode !== 0) {
        process.exitCode = EXIT.ERROR;
        return;
      }
      // Help and version are not errors.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exitCode = EXIT.OK;
        return;
      }
      if (err.exitCode === 0) {
        process.exitCode = EXIT.OK;
        return;
      }
      process.exitCode = EXIT.ERROR;
      return;
    }
    throw err;
  }
}

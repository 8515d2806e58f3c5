import type { Command } from 'commander';
import { addPolicyOptions, parseCount, type PolicyFlags } from '../policy-options.js';
import { inputFormatOption } from '../input-options.js';
import type { InputFormat } from '../../io/formats/names.js';
import { addFormatsHelp, formatOption } from '../format-option.js';

export interface CheckFlags extends PolicyFlags {
  format: string;
  output?: string;
  input?: InputFormat;
  contentRoot?: string;
  maxWarnings?: number;
  quiet?: boolean;
  redact?: boolean;
  color?: boolean;
  explainPolicy?: boolean;
  authUser?: string;
  envelopeFrom?: string;
  jobs?: number;
}

export function registerCheck(program: Command): void {
  const cmd = program
    .command('check')
    .summary('find visible recipients in outgoing mail and flag exposed recipient lists')
    .description(
      'Reads .eml drafts, mbox files, SMTP transcripts and directories of them (or stdin), finds ' +
        'every visible recipient (To, Cc, Resent-To, Resent-Cc), tells internal from external, and ' +
        'flags messages whose external recipients span several organisations.\n\n' +
        'Exit codes: 0 nothing blocked, 1 a message was blocked (or too many warnings), ' +
        '2 an input could not be checked, or a usage or configuration error.',
    )
    .argument('[paths...]', 'files, directories (recursive), globs, or - for stdin (default: stdin when piped)')
    .addOption(formatOption('check'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .addOption(inputFormatOption())
    .option('--content-root <dir>', 'campaign content files ("path" in text, html, raw, attachments) must lie under this folder (default: the campaign file\'s folder)')
    .option('--max-warnings <n>', 'exit 1 when more than this many warnings are found', parseCount('--max-warnings', 0))
    .option('-q, --quiet', 'leave out messages that pass')
    .option('--redact', 'mask addresses in the output (j***@example.com)')
    .option('--no-redact', 'show full addresses where they are masked by default (sarif, github, junit, and every format when CI is set)')
    .option('--no-color', 'no colour, even on a terminal')
    .option('--explain-policy', 'do not check: print which profile (configuration "profiles") each message gets, why, and the policy in force (with --format json: as JSON)')
    .option('--auth-user <user>', 'check as if this user had authenticated (the proxy\'s AUTH user, the milter\'s {auth_authen}): it chooses the profile before From does')
    .option('-j, --jobs <n>', 'check files on this many worker threads (human and json reports; the report is the same as with one thread; default 1)', parseCount('--jobs'))
    .option('--envelope-from <address>', 'check as if the message came with this envelope sender (MAIL FROM): it chooses the profile before From does');
  addFormatsHelp(cmd, 'check');
  addPolicyOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  mailguard check draft.eml\n' +
      '  mailguard check outbox/ --internal-domain corp.example --format json\n' +
      '  generate-campaign | mailguard check - --sensitive && send-it\n' +
      '  mailguard check --explain-policy draft.eml --auth-user dr-ann\n\n' +
      'Profiles: with "profiles" in the configuration, each message is checked with\n' +
      'the profile its sender selects, and every result names it. The sender is read\n' +
      'from From, and from --auth-user and --envelope-from (or a transcript\'s MAIL\n' +
      'FROM), which are trusted first: a From that selects another profile only makes\n' +
      'the policy stricter. --explain-policy shows the choice and the policy.\n',
  );
  cmd.action(async (paths: string[], flags: CheckFlags) => {
    const { runCheck } = await import('../actions/check.js');
    process.exitCode = await runCheck(paths, flags);
  });
}

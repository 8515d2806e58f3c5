import { Option, type Command } from 'commander';
import { addPolicyOptions, type PolicyFlags } from '../policy-options.js';
import { addFormatsHelp, formatOption } from '../format-option.js';

export interface FixFlags extends PolicyFlags {
  strategy: 'bcc' | 'split';
  to: string;
  keepInternal?: boolean;
  allToBcc?: boolean;
  removeDkim?: boolean;
  messageIdDomain?: string;
  output?: string;
  inPlace?: boolean;
  dryRun?: boolean;
  format: 'human' | 'json';
  redact: boolean;
}

export function registerFix(program: Command): void {
  const cmd = program
    .command('fix')
    .summary('rewrite an exposed mailing: move external recipients to Bcc, or split it into one message per recipient')
    .description(
      'Rewrites messages whose visible external recipients are flagged (verdict block\n' +
        'or warn for EXPOSED_RECIPIENTS); other messages are left untouched. Only the\n' +
        'recipient fields change: the body and every other header field stay\n' +
        'byte-for-byte as they were.\n\n' +
        'bcc:   external To/Cc recipients move to a Bcc field (for a draft that a mail\n' +
        '       client sends); internal ones stay visible unless --all-to-bcc. An empty\n' +
        '       To becomes "undisclosed-recipients:;", the sender, or --to ADDRESS.\n' +
        'split: one message per external recipient (To shows only them), one for the\n' +
        '       internal recipients, one per Bcc-only recipient; fresh Message-IDs, no\n' +
        '       Bcc field.\n\n' +
        'Messages with ambiguous recipients or a malformed header are never rewritten.\n' +
        'Exit codes: 0 every message fixed or left untouched; 2 a message could not be\n' +
        'fixed (ambiguous, malformed, unreadable, or a list only in fields no rewrite\n' +
        'moves, such as Keywords or Comments), or a usage error.',
    )
    .argument('[paths...]', 'files, directories, globs, or - for stdin (default: stdin when piped)')
    .addOption(new Option('-s, --strategy <strategy>', 'how to fix').choices(['bcc', 'split']).default('bcc'))
    .option('--to <who>', 'what an empty To shows: undisclosed, sender, or an address (bcc)', 'undisclosed')
    .addOption(new Option('--keep-internal', 'keep internal recipients visible (default)').conflicts('allToBcc'))
    .addOption(new Option('--all-to-bcc', 'move internal recipients to Bcc too (bcc)').conflicts('keepInternal'))
    .option('--remove-dkim', 'remove DKIM signatures that the rewrite breaks (they are reported either way)')
    .option('--message-id-domain <domain>', "domain of the split copies' fresh Message-IDs (default: the sender's)")
    .option('-o, --output <path>', 'bcc: a file (one message) or a directory; split: a directory of .eml files, a .mbox file, or - for an mbox on stdout')
    .option('--in-place', 'bcc: overwrite each input file that is rewritten')
    .option('-n, --dry-run', 'print the plan, write nothing')
    .addOption(formatOption('fix'))
    .option('--no-redact', 'show full addresses in the plan (masked by default: j***@example.com)');
  addFormatsHelp(cmd, 'fix');
  addPolicyOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  mailguard fix draft.eml -o fixed.eml   # external To/Cc -> Bcc\n' +
      '  mailguard fix draft.eml > fixed.eml    # draft on stdout, plan on stderr\n' +
      '  mailguard fix outbox/ --in-place --internal-domain corp.example\n' +
      '  mailguard fix patients.eml --sensitive --strategy split -o copies/\n' +
      '  mailguard fix campaign.eml --strategy split -o split.mbox --format json\n',
  );
  cmd.action(async (paths: string[], flags: FixFlags) => {
    const { runFix } = await import('../actions/fix.js');
    process.exitCode = await runFix(paths, flags);
  });
}

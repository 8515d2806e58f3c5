import { Option, type Command } from 'commander';
import { addPolicyOptions, type PolicyFlags } from '../policy-options.js';
import { inputFormatOption } from '../input-options.js';
import type { InputFormat } from '../../io/formats/names.js';

export interface AuditFlags extends PolicyFlags {
  since?: string;
  until?: string;
  html?: string;
  csv?: string;
  format: 'human' | 'json';
  output?: string;
  input?: InputFormat;
  redact?: boolean;
  color?: boolean;
}

export function registerAudit(program: Command): void {
  const cmd = program
    .command('audit')
    .summary('audit mail already sent: which messages exposed external recipients, how many, since when')
    .description(
      'Reads a Sent folder export (mbox, Maildir, a directory of .eml files) and reports every\n' +
        'message that exposed external recipients in To/Cc (an EXPOSED_RECIPIENTS finding): date,\n' +
        'subject, sender, how many external addresses of how many organisations, to how many\n' +
        'recipients. Totals: incidents, distinct exposed addresses, the worst incidents, incidents\n' +
        'per month, repeat senders. Only header blocks are read; mbox files are streamed.\n\n' +
        'Exit codes: 0 no incident, 1 at least one incident, 2 an input could not be read or a\n' +
        'usage or configuration error.',
    )
    .argument('<paths...>', 'mbox files, Maildir folders, directories of .eml files, globs')
    .option('--since <date>', 'only messages dated on or after this day (2026-01-01, 2026-01, or an ISO date-time)')
    .option('--until <date>', 'only messages dated up to the end of this day (or month)')
    .option('--html <file>', 'also write a self-contained HTML page with a chart (addresses masked unless --no-redact)')
    .option('--csv <file>', 'also write one CSV row per incident')
    .addOption(new Option('-f, --format <format>', 'format on stdout').choices(['human', 'json']).default('human'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .addOption(inputFormatOption())
    .option('--redact', 'mask addresses in every output (j***@example.com)')
    .option('--no-redact', 'show full addresses, also in the HTML page (masked there by default)')
    .option('--no-color', 'no colour, even on a terminal');
  addPolicyOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  mailguard audit Sent.mbox --internal-domain corp.example\n' +
      '  mailguard audit ~/Maildir/.Sent --since 2026-01-01 --html audit.html\n' +
      '  mailguard audit Sent.mbox --since 2026-01 --csv incidents.csv\n' +
      '  mailguard audit export/ --format json > audit.json\n',
  );
  cmd.action(async (paths: string[], flags: AuditFlags) => {
    const { runAudit } = await import('../actions/audit.js');
    process.exitCode = await runAudit(paths, flags);
  });
}

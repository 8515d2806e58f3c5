import { Option, type Command } from 'commander';
import { addPolicyOptions, type PolicyFlags } from '../policy-options.js';
import { inputFormatOption } from '../input-options.js';
import type { InputFormat } from '../../io/formats/names.js';
import { addFormatsHelp, formatOption } from '../format-option.js';

export interface AuditFlags extends PolicyFlags {
  since?: string;
  until?: string;
  html?: string;
  csv?: string;
  format: 'human' | 'json' | 'csv';
  output?: string;
  input?: InputFormat;
  passwordFile?: string;
  accessTokenFile?: string;
  incident?: string;
  breachReport?: 'md' | 'json';
  found?: string;
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
        'per month, repeat senders. Attachments are scanned as check scans them: a list in a\n' +
        'sheet, document or zip member, or an invitation to many external attendees, is an\n' +
        'incident too; what could not be scanned is reported (--no-body-scan: headers only).\n' +
        'mbox files are streamed.\n\n' +
        'IMAP folders are read in place: imaps://USER@HOST[:PORT]/FOLDER (TLS) or\n' +
        'imap://USER@HOST[:PORT]/FOLDER (STARTTLS, required unless the host is loopback);\n' +
        'no folder means the one marked \\Sent. Folders are opened read-only (EXAMINE) and\n' +
        'headers (and messages to scan, up to 48 MB) fetched with BODY.PEEK: no flag\n' +
        'changes. The password comes from --password-file, MAILGUARD_IMAP_PASSWORD or a\n' +
        'prompt on a terminal (an OAuth2 token from --access-token-file or\n' +
        'MAILGUARD_IMAP_ACCESS_TOKEN), never from the URL.\n' +
        'A folder that cannot be read completely makes the audit incomplete (exit 2).\n\n' +
        'Every incident has an ID derived from the message (the same in every run, from\n' +
        'files or IMAP). --incident ID shows everyone it exposed (masked unless\n' +
        '--no-redact), as CSV for mailguard notify; --breach-report md|json summarises it\n' +
        'for a regulator.\n\n' +
        'Exit codes: 0 no incident, 1 at least one incident, 2 an input could not be read or a\n' +
        'usage or configuration error.',
    )
    .argument('<paths...>', 'mbox files, Maildir folders, directories of .eml files, globs, imap(s)://user@host/Folder URLs')
    .option('--since <date>', 'only messages dated on or after this day (2026-01-01, 2026-01, or an ISO date-time)')
    .option('--until <date>', 'only messages dated up to the end of this day (or month)')
    .option('--html <file>', 'also write a self-contained HTML page with a chart (addresses masked unless --no-redact)')
    .option('--csv <file>', 'also write one CSV row per incident')
    .addOption(formatOption('audit'))
    .option('--incident <id>', 'show one incident: everyone whose address it showed (masked unless --no-redact)')
    .addOption(new Option('--breach-report <format>', 'with --incident: a breach-report summary (what, how many people, which organisations, when)').choices(['md', 'json']))
    .option('--found <date>', 'with --breach-report: when the incident was found (default: now)')
    .option('--password-file <file>', 'IMAP password from this file (else MAILGUARD_IMAP_PASSWORD, else a prompt on a terminal)')
    .option('--access-token-file <file>', 'IMAP OAuth2 access token (XOAUTH2) from this file (else MAILGUARD_IMAP_ACCESS_TOKEN)')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .addOption(inputFormatOption())
    .option('--redact', 'mask addresses in every output (j***@example.com)')
    .option('--no-redact', 'show full addresses, also in the HTML page (masked there by default)')
    .option('--no-color', 'no colour, even on a terminal');
  addFormatsHelp(cmd, 'audit');
  addPolicyOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  mailguard audit Sent.mbox --internal-domain corp.example\n' +
      '  mailguard audit ~/Maildir/.Sent --since 2026-01-01 --html audit.html\n' +
      '  mailguard audit Sent.mbox --since 2026-01 --csv incidents.csv\n' +
      '  mailguard audit export/ --format json > audit.json\n' +
      '  MAILGUARD_IMAP_PASSWORD=... mailguard audit \\\n' +
      '    imaps://dpo%40corp.example@imap.corp.example/Sent \\\n' +
      '    imaps://dpo%40corp.example@imap.corp.example/Archive --since 2026-01\n' +
      '  mailguard audit imaps://me@imap.example/Sent \\\n' +
      '    --incident 3f2a9c1d0b4e5f67 --no-redact --format csv > affected.csv\n' +
      '  mailguard audit Sent.mbox --incident 3f2a9c1d0b4e5f67 --breach-report md\n',
  );
  cmd.action(async (paths: string[], flags: AuditFlags) => {
    const { runAudit } = await import('../actions/audit.js');
    process.exitCode = await runAudit(paths, flags);
  });
}

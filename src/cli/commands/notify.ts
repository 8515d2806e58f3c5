import type { Command } from 'commander';
import { parseRate } from './send.js';
import { addPolicyOptions, type PolicyFlags } from '../policy-options.js';
import { addFormatsHelp, formatOption } from '../format-option.js';

export interface NotifyFlags extends PolicyFlags {
  incidentFile: string;
  template: string;
  smtp?: string;
  journal?: string;
  dryRun?: boolean;
  output?: string;
  from?: string;
  rate?: number;
  includeInternal?: boolean;
  format: 'human' | 'json';
  redact: boolean;
}

export function registerNotify(program: Command): void {
  const cmd = program
    .command('notify')
    .summary('after an incident: send each exposed person a notice that shows only them')
    .description(
      'Sends one copy of a notice (an .eml template without recipients) to every person an\n' +
        'incident exposed, each copy addressed to that person alone: built with the split\n' +
        'rewrite, checked again, relayed with an explicit envelope. The people come from\n' +
        '`mailguard audit ... --incident ID --no-redact --format csv` (or --format json).\n' +
        'Internal addresses are left out unless --include-internal.\n\n' +
        'The template is refused if it shows any recipient list, whatever the policy says:\n' +
        'To, Cc or Bcc with any address, a Reply-To with more than one, a body listing\n' +
        'addresses, or the address of anyone it is sent to.\n\n' +
        'Every accepted notice is recorded in a journal (default: the incident file name\n' +
        'plus .journal) before the next is sent: rerunning after a crash or outage sends\n' +
        'only the notices not yet accepted, so each person gets exactly one.\n\n' +
        'The relay is --smtp, else MAILGUARD_SMTP_URL, else "smtp" in the configuration\n' +
        'file, as for mailguard send. --dry-run sends nothing and shows each envelope and\n' +
        'header; -o DIR writes the copies there for review instead of sending.\n\n' +
        'Exit codes: 0 every notice sent (or written), 2 a notice could not be sent, the\n' +
        'template or incident file was refused, or a usage error.',
    )
    .requiredOption('--incident-file <file>', 'the people to notify: CSV or JSON from mailguard audit --incident ID --no-redact')
    .requiredOption('--template <file>', 'the notice as an .eml file with From and Subject and no recipients')
    .option('--smtp <url>', 'relay: smtp://host[:port] or smtps://... (default: MAILGUARD_SMTP_URL, then the config file)')
    .option('--journal <file>', 'record accepted notices here (default: <incident-file>.journal)')
    .option('-n, --dry-run', 'print the envelope and header of every notice; send nothing')
    .option('-o, --output <dir>', 'write each notice to this directory as an .eml file; send nothing')
    .option('--from <address>', 'envelope sender (MAIL FROM) instead of the template From')
    .option('--rate <n/s>', 'at most this many notices per second (10, 10/s, 600/min)', parseRate)
    .option('--include-internal', 'also notify the internal addresses the incident showed')
    .addOption(formatOption('notify'))
    .option('--no-redact', 'show full addresses in the report (masked by default)');
  addFormatsHelp(cmd, 'notify');
  addPolicyOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  mailguard audit imaps://dpo@imap.corp.example/Sent \\\n' +
      '    --incident 3f2a9c1d0b4e5f67 --no-redact --format csv > affected.csv\n' +
      '  mailguard notify --incident-file affected.csv --template notice.eml -o review/\n' +
      '  mailguard notify --incident-file affected.csv --template notice.eml \\\n' +
      '    --smtp smtp://relay.corp.example:587 --rate 5/s\n',
  );
  cmd.action(async (flags: NotifyFlags) => {
    const { runNotify } = await import('../actions/notify.js');
    process.exitCode = await runNotify(flags);
  });
}

import { ADAPTER_MODES } from '../../decide/modes.js';
import { Option, type Command } from 'commander';
import { MailguardError } from '../../errors.js';
import { parseRatePerSecond } from '../../relay/config.js';
import { addPolicyOptions, parseCount, type PolicyFlags } from '../policy-options.js';
import { inputFormatOption } from '../input-options.js';
import type { InputFormat } from '../../io/formats/names.js';
import { addFormatsHelp, formatOption } from '../format-option.js';

export interface SendFlags extends PolicyFlags {
  smtp?: string;
  onViolation?: 'block' | 'bcc' | 'split' | 'warn';
  dryRun?: boolean;
  journal?: string;
  rate?: number;
  pool?: number;
  retries?: number;
  timeout?: number;
  from?: string;
  input?: InputFormat;
  contentRoot?: string;
  format: 'human' | 'json';
  redact: boolean;
  quiet?: boolean;
}

/** `10`, `10/s`, `600/min`, `0.5/s` -> messages per second. */
export function parseRate(value: string): number {
  const n = parseRatePerSecond(value);
  if (n === undefined) throw new MailguardError('EUSAGE', `--rate takes messages per second or per minute, like 10/s or 600/min (got "${value}").`);
  return n;
}

export function registerSend(program: Command): void {
  const cmd = program
    .command('send')
    .summary('check each message, then relay what is safe through an SMTP server')
    .description(
      'Checks every message first, then relays it through an SMTP server with an\n' +
        'explicit envelope. The Bcc field is always stripped from what is sent; Bcc\n' +
        'recipients stay in the envelope.\n\n' +
        '  --on-violation block  (default) a blocked message is not sent (exit 1)\n' +
        '  --on-violation bcc    external To/Cc recipients move to Bcc, then it is sent\n' +
        '  --on-violation split  one copy per recipient, each sent on its own\n' +
        '  --on-violation warn   sent as it is; the findings are reported\n\n' +
        'The envelope comes from the SMTP transcript when the input is one, else from\n' +
        'To, Cc and Bcc (Resent-* when resending). The relay is --smtp, else\n' +
        'MAILGUARD_SMTP_URL, else "smtp" in the configuration file. Credentials go in\n' +
        'the URL or in MAILGUARD_SMTP_USER and MAILGUARD_SMTP_PASS (never printed).\n' +
        'smtp:// upgrades with STARTTLS when offered; smtps:// is TLS from the start.\n' +
        'Transient failures (4xx, dropped connections) are retried with backoff.\n\n' +
        'With --journal FILE each accepted delivery is recorded, and flushed to disk,\n' +
        'before the next: rerunning the same command after a crash, Ctrl-C or relay\n' +
        'outage sends only what was not yet accepted.\n\n' +
        'Exit codes: 0 everything sent, 1 a message was blocked by policy, 2 a message\n' +
        'could not be sent (relay failure, recipients refused, unreadable or ambiguous\n' +
        'message) or a usage error.',
    )
    .argument('[paths...]', 'files, directories, mbox files, SMTP transcripts, globs, or - for stdin (default: stdin when piped)')
    .option('--smtp <url>', 'relay: smtp://[user:pass@]host[:port] or smtps://... (default: MAILGUARD_SMTP_URL, then the config file)')
    .addOption(new Option('--on-violation <action>', 'what to do with a message the policy flags').choices([...ADAPTER_MODES.send]))
    .option('-n, --dry-run', 'print the envelope and final header of every message it would send; send nothing')
    .option('--journal <file>', 'record accepted deliveries here; a rerun skips them')
    .option('--rate <n/s>', 'at most this many messages per second (10, 10/s, 600/min)', parseRate)
    .option('--pool <n>', 'SMTP connections to use at once (default 1)', parseCount('--pool'))
    .option('--retries <n>', 'attempts after a transient failure (default 3)', parseCount('--retries', 0))
    .option('--timeout <seconds>', 'connection and greeting timeout (default 30)', parseCount('--timeout'))
    .option('--from <address>', 'envelope sender (MAIL FROM) instead of the header or transcript sender')
    .addOption(inputFormatOption())
    .option('--content-root <dir>', 'campaign content files ("path" in text, html, raw, attachments) must lie under this folder (default: the campaign file\'s folder)')
    .addOption(formatOption('send'))
    .option('-q, --quiet', 'leave messages sent as they are, without findings, out of the report (with --dry-run: those that would be)')
    .option('--no-redact', 'show full addresses in the report (masked by default: j***@example.com)');
  addFormatsHelp(cmd, 'send');
  addPolicyOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  mailguard send draft.eml --smtp smtp://relay.corp.example:587\n' +
      '  MAILGUARD_SMTP_URL=smtps://mail.corp.example mailguard send outbox/ \\\n' +
      '    --on-violation bcc\n' +
      '  mailguard send campaign.mbox --on-violation split --journal sent.journal \\\n' +
      '    --rate 5/s\n' +
      '  generate-campaign | mailguard send - --smtp smtp://127.0.0.1:25 --dry-run\n',
  );
  cmd.action(async (paths: string[], flags: SendFlags) => {
    const { runSend } = await import('../actions/send.js');
    process.exitCode = await runSend(paths, flags);
  });
}

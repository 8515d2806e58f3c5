import { Option, type Command } from 'commander';
import { ON_VIOLATION_MODES, type OnViolation } from '../../decide/modes.js';
import { addPolicyOptions, parseCount, type PolicyFlags } from '../policy-options.js';
import { addFormatsHelp, formatOption } from '../format-option.js';

export interface MilterFlags extends PolicyFlags {
  listen?: string;
  onViolation?: OnViolation;
  workers?: number;
  log: 'human' | 'json';
  logAddresses?: boolean;
}

export function registerMilter(program: Command): void {
  const cmd = program
    .command('milter')
    .summary('milter for Postfix (and Sendmail): refuses, rewrites to Bcc or holds at SMTP time')
    .description(
      'Speaks the milter protocol (version 6) to Postfix smtpd_milters / non_smtpd_milters or\n' +
        'Sendmail INPUT_MAIL_FILTER. Checks each message with the policy at end of DATA and answers\n' +
        'in the SMTP session: a blocked message gets 550 5.7.1 with a one-line reason; with\n' +
        '--on-violation bcc the external To/Cc recipients are moved out of view by header edits (the\n' +
        'envelope keeps them); with hold the message waits in Postfix\'s hold queue (postsuper -H).\n' +
        'An internal error answers tempfail; set milter_default_action = tempfail in Postfix so a\n' +
        'milter that is down or times out never lets mail through unchecked. With warn the message\n' +
        'is accepted and logged as sent-despite.\n\n' +
        'Stops cleanly on SIGTERM/SIGINT (exit 0).',
    )
    .option('--listen <address>', 'inet:HOST:PORT or unix:/PATH (as Postfix names milters; or "milter": { "listen" } in the configuration)')
    .addOption(new Option('--on-violation <action>', 'what to do with a message the policy blocks (default: the configuration\'s, else block; split is refused)').choices([...ON_VIOLATION_MODES]))
    .option('--workers <n>', 'processes sharing the listen socket (default 1; use the number of cores for a fleet)', parseCount('--workers'))
    .addOption(formatOption('milter'))
    .option('--log-addresses', 'log full addresses (default: masked, j***@example.com)');
  addFormatsHelp(cmd, 'milter');
  addPolicyOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  mailguard milter --listen inet:127.0.0.1:8891 --internal-domain corp.example\n' +
      '  # Postfix main.cf:\n' +
      '  #   smtpd_milters = inet:127.0.0.1:8891\n' +
      '  #   non_smtpd_milters = $smtpd_milters\n' +
      '  #   milter_default_action = tempfail\n' +
      '  mailguard milter --listen unix:/run/mailguard/milter.sock \\\n' +
      '    --on-violation hold --workers 4\n',
  );
  cmd.action(async (flags: MilterFlags) => {
    const { runMilter } = await import('../actions/milter.js');
    process.exitCode = await runMilter(flags);
  });
}

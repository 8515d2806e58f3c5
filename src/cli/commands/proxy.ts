import { Option, type Command } from 'commander';
import { ADAPTER_MODES } from '../../decide/modes.js';
import { addPolicyOptions, parseCount, type PolicyFlags } from '../policy-options.js';
import { addFormatsHelp, formatOption } from '../format-option.js';

export interface ProxyFlags extends PolicyFlags {
  listen?: string;
  upstream?: string;
  onViolation?: 'block' | 'warn' | 'bcc' | 'split';
  authFile?: string;
  allowUnauthenticated?: boolean;
  tlsKey?: string;
  tlsCert?: string;
  maxSize?: number;
  maxRecipients?: number;
  upstreamTimeout?: number;
  log: 'human' | 'json';
  logAddresses?: boolean;
  hashPassword?: boolean;
}

export function registerProxy(program: Command): void {
  const cmd = program
    .command('proxy')
    .summary('SMTP guard in front of a real relay: checks every message, relays what passes')
    .description(
      'Listens for SMTP, checks each message with the policy, and relays what passes to the upstream\n' +
        'relay with the original envelope. The client gets 250 only after the upstream accepted the\n' +
        'message; upstream 4xx, timeouts or an unreachable upstream give 451 (the client retries),\n' +
        'upstream 5xx is passed on. A policy block is 550 5.7.1 with a one-line reason.\n\n' +
        'Listens on 127.0.0.1 unless told otherwise; another address needs --auth-file (with TLS)\n' +
        'or --allow-unauthenticated. Stops cleanly on SIGTERM/SIGINT (exit 0).',
    )
    .option('--listen <host:port>', 'address to listen on (default: the configuration\'s proxy.listen, else 127.0.0.1:2525)')
    .option('--upstream <url>', 'the real relay: smtp://HOST:PORT or smtps://user:pass@HOST:PORT')
    .addOption(new Option('--on-violation <action>', 'what to do with a message the policy blocks (default: the configuration\'s, else block)').choices([...ADAPTER_MODES.proxy]))
    .option('--auth-file <file>', 'require AUTH; users and scrypt hashes, one user:hash per line (see --hash-password)')
    .option('--allow-unauthenticated', 'accept unauthenticated clients on a non-loopback address (logs a warning)')
    .option('--tls-key <file>', 'PEM private key for STARTTLS')
    .option('--tls-cert <file>', 'PEM certificate (chain) for STARTTLS')
    .option('--max-size <bytes>', 'largest message accepted, counted on the bytes received (default 26214400)', parseCount('--max-size'))
    .option('--max-recipients <n>', 'RCPT TO per transaction; past it the client gets 452 (default 1000)', parseCount('--max-recipients'))
    .option('--upstream-timeout <ms>', 'time for an upstream transaction up to the end of the message data before the client gets 451 "timed out" (default 120000); the reply to the final dot is always awaited (up to 5 minutes)', parseCount('--upstream-timeout'))
    .addOption(formatOption('proxy'))
    .option('--log-addresses', 'log full addresses (default: masked, j***@example.com)')
    .option('--hash-password', 'read a password from stdin, print its hash for --auth-file, and exit');
  addFormatsHelp(cmd, 'proxy');
  addPolicyOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  mailguard proxy --upstream smtp://127.0.0.1:25 --internal-domain corp.example\n' +
      '  # a Postfix content filter:\n' +
      '  mailguard proxy --listen 127.0.0.1:10025 --upstream smtp://127.0.0.1:10026 \\\n' +
      '    --log json\n' +
      '  # a hash for the auth file (a line alice:<hash>):\n' +
      '  echo "$PASSWORD" | mailguard proxy --hash-password\n' +
      '  mailguard proxy --listen 0.0.0.0:587 --auth-file users \\\n' +
      '    --tls-key key.pem --tls-cert cert.pem --upstream smtp://relay:25\n',
  );
  cmd.action(async (flags: ProxyFlags) => {
    const { runProxy } = await import('../actions/proxy.js');
    process.exitCode = await runProxy(flags);
  });
}

import type { Command } from 'commander';

export interface InitFlags {
  internalDomain?: string[];
  output: string;
  yes?: boolean;
  example?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

export function registerInit(program: Command): void {
  program
    .command('init')
    .summary('write a commented starting configuration (mailguard.config.json)')
    .description(
      'Writes mailguard.config.json with your internal domains and the default thresholds, each\n' +
        'explained in the file. Internal domains come from --internal-domain, else from the domain of\n' +
        '`git config user.email` (unless it is a consumer mail provider), else you are asked (on a\n' +
        'terminal). An existing file is never overwritten.',
    )
    .option('--internal-domain <domain>', 'an internal domain (repeatable, or comma-separated)', collect)
    .option('-o, --output <file>', 'where to write the configuration', 'mailguard.config.json')
    .option('-y, --yes', 'do not ask: use what was given or guessed')
    .option('--example', 'print an example for a whole organisation (profiles per team, list and person) to stdout; writes nothing')
    .addHelpText('after', '\nExamples:\n  mailguard init\n  mailguard init --internal-domain corp.example,corp-mail.example\n  mailguard init --example > mailguard.config.json\n')
    .action(async (flags: InitFlags) => {
      const { runInit } = await import('../actions/init.js');
      process.exitCode = await runInit(flags);
    });
}

import type { Command } from 'commander';

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .summary('explain a finding code: what it means, why it matters, how to fix it')
    .description('Explains a finding code (EXPOSED_RECIPIENTS, BCC_HEADER_PRESENT, ...). Without a code, lists them all.')
    .argument('[code]', 'a finding code, any case (exposed-recipients works too)')
    .addHelpText('after', '\nExamples:\n  mailguard explain EXPOSED_RECIPIENTS\n  mailguard explain               # list the codes\n')
    .action(async (code: string | undefined) => {
      const { runExplain } = await import('../actions/explain.js');
      process.exitCode = await runExplain(code);
    });
}

// A command's --format (or --log) option, made from the registry of output formats
// (src/report/formats.ts): its choices, its default and the help lines that say what each is.

import { Option, type Command } from 'commander';
import { FORMAT_OPTION, formatChoices, formatsHelp, type FormatCommand } from '../report/formats.js';

/** The format option of `command`: the registry's choices for it, the first as the default. */
export function formatOption(command: FormatCommand): Option {
  const choices = formatChoices(command);
  const { flags, what } = FORMAT_OPTION[command];
  return new Option(flags, what).choices(choices).default(choices[0]);
}

/** Adds the list of the formats `command` offers, and what each is, to its --help. */
export function addFormatsHelp(cmd: Command, command: FormatCommand): void {
  cmd.addHelpText('after', formatsHelp(command));
}

// Every output format of every command, in one registry (knip's reporters): its name, what it
// is, the commands that offer it and, for each, the pure formatter. Each command's --format (or
// --log) choices, its help text and the README's list of formats are made from this table, so
// adding a format is one entry here plus its formatter (ARCHITECTURE.md, "Adding things").

import { MailguardError } from '../errors.js';
import type { MilterEvent } from '../milter/server.js';
import type { ProxyEvent } from '../proxy/server.js';
import { formatFixHuman, formatFixJson, type FixFormatOptions, type FixReport } from './fix.js';
import { formatGithub } from './github.js';
import { formatHuman } from './human.js';
import { formatJson } from './json.js';
import { formatJunit } from './junit.js';
import { formatMilterLogHuman, formatMilterLogJson } from './milter-log.js';
import { formatProxyLogHuman, formatProxyLogJson } from './proxy-log.js';
import type { Formatter } from './report.js';
import { formatSarif } from './sarif.js';
import { formatSendHuman, formatSendJson, type SendFormatOptions, type SendReport } from './send.js';

/** What each command hands its formatter. Commands formatted elsewhere (audit, notify) are `never`:
 * they are registered by name here and written by their own code (`src/audit/`, `cli/actions/notify.ts`). */
export interface CommandFormatters {
  check: Formatter;
  send: (report: SendReport, options: SendFormatOptions) => string;
  fix: (report: FixReport, options: FixFormatOptions) => string;
  /** One log line per event (--log). */
  proxy: (event: ProxyEvent) => string;
  milter: (event: MilterEvent) => string;
  audit: never;
  notify: never;
}

export type FormatCommand = keyof CommandFormatters;

/** The option of each command that chooses its format. */
export const FORMAT_OPTION: Record<FormatCommand, { flags: string; what: string }> = {
  check: { flags: '-f, --format <format>', what: 'output format' },
  audit: { flags: '-f, --format <format>', what: 'format on stdout' },
  send: { flags: '-f, --format <format>', what: 'report format' },
  fix: { flags: '-f, --format <format>', what: 'format of the plan' },
  notify: { flags: '-f, --format <format>', what: 'report format' },
  proxy: { flags: '--log <format>', what: 'log format, one line per transaction' },
  milter: { flags: '--log <format>', what: 'log format, one line per message' },
};

/** `own`: the command offers the format and writes it with its own code. */
type Offer<C extends FormatCommand> = [CommandFormatters[C]] extends [never] ? 'own' : CommandFormatters[C];

export interface OutputFormat {
  name: string;
  /** One line for --help and the README: what it is and for whom. */
  description: string;
  /** The same, where a command's output in this format differs (a log line instead of a document). */
  describedFor?: Partial<Record<FormatCommand, string>>;
  /** A contract: nothing else on stdout, no colour, a `version` field (JSON); pinned by tests. */
  machine: boolean;
  /** Often published (CI logs, code scanning): addresses are masked unless --no-redact. */
  maskedByDefault?: boolean;
  commands: { [C in FormatCommand]?: Offer<C> };
}

/** In the order --help lists them; the first a command offers is its default. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  {
    name: 'human',
    description: 'text for a person (colour on a terminal)',
    describedFor: { proxy: 'one line of key=value text per event', milter: 'one line of key=value text per event' },
    machine: false,
    commands: { check: formatHuman, audit: 'own', send: formatSendHuman, fix: formatFixHuman, notify: 'own', proxy: formatProxyLogHuman, milter: formatMilterLogHuman },
  },
  {
    name: 'json',
    description: 'one JSON document with a version field (a stable contract)',
    describedFor: { proxy: 'one JSON object per event, one per line', milter: 'one JSON object per event, one per line' },
    machine: true,
    commands: { check: formatJson, audit: 'own', send: formatSendJson, fix: formatFixJson, notify: 'own', proxy: formatProxyLogJson, milter: formatMilterLogJson },
  },
  {
    name: 'csv',
    description: 'one row per incident (per person with --incident)',
    machine: true,
    commands: { audit: 'own' },
  },
  {
    name: 'sarif',
    description: 'SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure)',
    machine: true,
    maskedByDefault: true,
    commands: { check: formatSarif },
  },
  {
    name: 'github',
    description: 'GitHub Actions annotations and a step summary',
    machine: true,
    maskedByDefault: true,
    commands: { check: formatGithub },
  },
  {
    name: 'junit',
    description: 'JUnit XML: one test case per message',
    machine: true,
    maskedByDefault: true,
    commands: { check: formatJunit },
  },
];

/** The format names a command accepts, in the registry's order. */
export function formatChoices(command: FormatCommand): string[] {
  return OUTPUT_FORMATS.filter((f) => f.commands[command] !== undefined).map((f) => f.name);
}

/** What a format is, as the command's help says it. */
export function describeFormat(format: OutputFormat, command: FormatCommand): string {
  return format.describedFor?.[command] ?? format.description;
}

/** The registry's entries a command offers. */
export function formatsOf(command: FormatCommand): OutputFormat[] {
  return OUTPUT_FORMATS.filter((f) => f.commands[command] !== undefined);
}

/** An unknown format for a command (a usage error, exit 2): the choices come from the registry. */
export function unknownFormat(command: FormatCommand, format: string): MailguardError {
  return new MailguardError('EUSAGE', `mailguard ${command} has no format "${format}".`, { hint: `Choose one of: ${formatChoices(command).join(', ')}.` });
}

/**
 * The formatter of `command` for `name`. Throws a usage error for a name the command does not
 * offer (commander refuses it first on the command line; this guards the library and the tests).
 */
export function formatterFor<C extends Exclude<FormatCommand, 'audit' | 'notify'>>(command: C, name: string): CommandFormatters[C] {
  const offer = OUTPUT_FORMATS.find((f) => f.name === name)?.commands[command];
  if (offer === undefined || offer === 'own') throw unknownFormat(command, name);
  return offer as CommandFormatters[C];
}

/** Check's formatters by name (what src/cli/actions/check.ts looks up). */
export function checkFormatters(): Record<string, Formatter> {
  return Object.fromEntries(formatsOf('check').map((f) => [f.name, f.commands.check as Formatter]));
}

/** The lines `--help` adds after a command's options: every format it offers and what it is. */
export function formatsHelp(command: FormatCommand): string {
  const formats = formatsOf(command);
  const width = Math.max(...formats.map((f) => f.name.length));
  const option = FORMAT_OPTION[command].flags.split(' ').find((s) => s.startsWith('--'))!;
  return `\nFormats (${option}):\n${formats.map((f) => `  ${f.name.padEnd(width)}  ${describeFormat(f, command)}`).join('\n')}`;
}

/** The README's table of formats (between its `formats` markers; a test keeps it in step). */
export function formatsMarkdown(): string {
  const commands = Object.keys(FORMAT_OPTION) as FormatCommand[];
  const rows = OUTPUT_FORMATS.map((f) => {
    const offered = commands.filter((c) => f.commands[c] !== undefined).map((c) => `\`${c}\`${FORMAT_OPTION[c].flags.includes('--log') ? ' (`--log`)' : ''}`);
    // Commands whose output in this format differs say how ("proxy, milter: one JSON object per event").
    const differing = new Map<string, string[]>();
    for (const [c, text] of Object.entries(f.describedFor ?? {})) differing.set(text, [...(differing.get(text) ?? []), `\`${c}\``]);
    const notes = [...differing].map(([text, cs]) => `; ${cs.join(', ')}: ${text}`).join('');
    return `| \`${f.name}\` | ${offered.join(', ')} | ${f.description}${notes}${f.maskedByDefault ? '; addresses masked by default' : ''} |`;
  });
  return ['| format | commands | what it is |', '|---|---|---|', ...rows].join('\n');
}

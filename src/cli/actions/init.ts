// mailguard init: writes a commented starting configuration. Internal domains come from the
// flags, else from `git config user.email`, else from a question on a terminal. Never overwrites.

import { execFile } from 'node:child_process';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MailguardError } from '../../errors.js';
import { CONFIG_FILE_NAMES, configsIn } from '../../io/config-file.js';
import { normaliseDomain } from '../../message/domain.js';
import { createClassifier, registrableDomain } from '../../policy/classify.js';
import { parseConfig } from '../../policy/config.js';
import { createPolicy, DEFAULT_POLICY } from '../../policy/policy.js';
import type { InitFlags } from '../commands/init.js';
import { EXIT } from '../exit-codes.js';
import { adaptSuggestions } from '../program-name.js';
import { policyArguments } from '../policy-options.js';
import { shellQuote } from '../../report/shell-quote.js';

/** `git config` answers at once; a hung git (credential helper, network home) must not hang init. */
const GIT_TIMEOUT_MS = 3000;

/** The domain of `git config user.email`, if git is there and one is set. */
export function gitUserEmail(cwd: string = process.cwd()): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['config', 'user.email'], { cwd, timeout: GIT_TIMEOUT_MS }, (err, stdout) => {
      const email = err ? '' : String(stdout).trim();
      resolve(email.includes('@') ? email : undefined);
    });
  });
}

/** A domain in its A-label form, or undefined if it is not a usable domain name. */
function asciiDomain(written: string): string | undefined {
  const r = normaliseDomain(written.trim().replace(/^@/, '').replace(/[A-Z]/g, (c) => c.toLowerCase()));
  return r.ok && r.ascii.includes('.') ? r.ascii : undefined;
}

/** The organisation's domain for an email address: registrable domain, none for consumer providers. */
export function guessInternalDomain(email: string): string | undefined {
  const domain = asciiDomain(email.slice(email.lastIndexOf('@') + 1));
  if (!domain) return undefined;
  const classifier = createClassifier(createPolicy({}), undefined);
  if (classifier.isConsumerDomain(domain)) return undefined;
  // GitHub's no-reply addresses are not an organisation either.
  if (/(^|\.)users\.noreply\.github\.com$/.test(domain)) return undefined;
  return registrableDomain(domain);
}

async function ask(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

function cleanDomains(list: string[]): string[] {
  const out: string[] = [];
  for (const raw of list) {
    const d = asciiDomain(raw);
    if (!d) throw new MailguardError('EUSAGE', `"${raw}" is not a domain name.`, { hint: 'Give domains like corp.example (subdomains are included).' });
    if (!out.includes(d)) out.push(d);
  }
  // Refused here as check refuses them (a public suffix, a consumer provider, a hosting namespace),
  // not written into a file that every later command refuses, or worse, that counts customers internal.
  createPolicy({ internalDomains: out });
  return out;
}

/** Where an installed mailguard's JSON Schema of this file is, from the project folder. */
export const CONFIG_SCHEMA_PATH = './node_modules/mailguard/schema/mailguard.config.schema.json';

/** The configuration text: valid JSON that parseConfig accepts, explained under "//". */
export function renderConfig(internalDomains: string[], source: string): string {
  const config = {
    // Editors complete and check the keys from the schema the package ships.
    $schema: CONFIG_SCHEMA_PATH,
    '//': [
      'mailguard configuration, written by "mailguard init". JSON has no comments, so they live here.',
      `internalDomains: addresses at these domains and their subdomains are internal (${source}).`,
      'trustedDomains: partner domains that count as internal. consumerDomains: extra webmail domains (each address its own party).',
      `warnAt / blockAt: warn / block when visible external recipients span this many organisations (defaults ${DEFAULT_POLICY.warnAt} and ${DEFAULT_POLICY.blockAt}).`,
      'sensitive: true for patient, applicant or member lists: block at 2 organisations.',
      'rules: set a finding code to "error", "warning" or "off". Run "mailguard explain" for the codes.',
      'maxWarnings: exit 1 when there are more warnings than this. redact: mask addresses in every output.',
    ],
    internalDomains,
    trustedDomains: [] as string[],
    warnAt: DEFAULT_POLICY.warnAt,
    blockAt: DEFAULT_POLICY.blockAt,
    sensitive: false,
    rules: { BCC_HEADER_PRESENT: 'warning' },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * An example for a whole organisation (`mailguard init --example`): the top level is the default
 * (sales), and three profiles override it for a team, a list and a person. Valid as written.
 */
export function renderExample(): string {
  const config = {
    $schema: CONFIG_SCHEMA_PATH,
    '//': [
      'An example for a whole organisation, from "mailguard init --example". The top level is the policy for everyone',
      'no profile matches (it is named "default" in results and logs). Each profile overrides top-level keys for the',
      'senders it matches; the first match applies. match: authUser (the authenticated user of the proxy, milter or',
      'nodemailer transport), envelopeFrom (MAIL FROM), from (the author). Patterns: name@domain, *@domain, domain',
      '(and its subdomains); authUser also a user name. Where the transport knows the sender (authUser, envelopeFrom),',
      'a From that selects another profile only makes the policy stricter (SECURITY.md, Profiles).',
      'Test it: mailguard check --explain-policy message.eml --auth-user dr-ann',
    ],
    internalDomains: ['corp.example'],
    warnAt: 3,
    blockAt: 5,
    onViolation: 'bcc',
    profiles: [
      {
        name: 'clinic',
        '//': 'Patient-facing team: two patients must never see each other; never fixed with Bcc.',
        match: { authUser: ['dr-ann', 'dr-bob'], envelopeFrom: ['*@clinic.corp.example'], from: ['clinic.corp.example'] },
        sensitive: true,
        blockAt: 2,
        onViolation: 'block',
      },
      {
        name: 'press',
        '//': 'The press office posts to public lists: a post there is not an exposed list.',
        match: { authUser: ['press'], from: ['press@corp.example'] },
        publicLists: ['*@lists.example.org'],
      },
      {
        name: 'board',
        '//': 'The board\'s assistant writes to twelve partners at once, on purpose.',
        match: { authUser: ['board-assistant'] },
        warnAt: 13,
        blockAt: 20,
        onViolation: 'warn',
      },
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export async function runInit(flags: InitFlags): Promise<number> {
  if (flags.example) {
    const text = renderExample();
    parseConfig(JSON.parse(text), 'the example');
    process.stdout.write(text);
    return EXIT.OK;
  }
  let domains = cleanDomains(flags.internalDomain ?? []);
  let source = 'given on the command line';
  if (domains.length === 0) {
    const email = await gitUserEmail();
    const guess = email ? guessInternalDomain(email) : undefined;
    if (guess) {
      domains = [guess];
      source = 'guessed from git config user.email; add the others you use';
    }
  }
  if (domains.length === 0 && process.stdin.isTTY && !flags.yes) {
    const answer = await ask('Internal domains (comma-separated, e.g. corp.example): ');
    domains = cleanDomains(answer.split(',').filter((s) => s.trim() !== ''));
    source = 'as answered to mailguard init';
  }
  if (domains.length === 0) source = 'none set: fill these in, or the sender\'s domain is used';
  // A second configuration beside one that is there already: discovery would refuse the pair
  // (one of them would be ignored), so none is written.
  if ((CONFIG_FILE_NAMES as readonly string[]).includes(path.basename(flags.output))) {
    const other = (await configsIn(path.resolve(path.dirname(flags.output)))).find((c) => path.resolve(c.file) !== path.resolve(flags.output));
    if (other !== undefined) {
      throw new MailguardError('EUSAGE', `${path.relative(process.cwd(), other.file) || other.file} is a mailguard configuration already; mailguard init does not write a second one beside it.`, { hint: 'Edit that one, or remove it and run mailguard init again.' });
    }
  }
  const text = renderConfig(domains, source);
  // Fails here, not at the next check, if the validator and this template ever disagree.
  parseConfig(JSON.parse(text), flags.output);
  let handle: FileHandle;
  try {
    handle = await open(flags.output, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new MailguardError('EUSAGE', `${flags.output} already exists; mailguard init does not overwrite it.`, { hint: 'Edit it, or remove it and run mailguard init again.' });
    }
    throw new MailguardError('EUSAGE', `cannot write ${flags.output}: ${(err as Error).message}`);
  }
  try {
    await handle.writeFile(text);
    await handle.close();
  } catch (err) {
    // Created (exclusively, so this run's file, never one the user had) but not written whole (a
    // full disk): the next check would find a cut-off configuration. It goes.
    await handle.close().catch(() => undefined);
    await unlink(flags.output).catch(() => undefined);
    throw new MailguardError('EUSAGE', `cannot write ${flags.output}: ${(err as Error).message}`);
  }
  const shown = domains.length > 0 ? domains.join(', ') : 'none (edit internalDomains)';
  // A name check does not discover needs --config in the next command.
  const dir = path.resolve(path.dirname(flags.output));
  const cwd = process.cwd();
  const discovered = (CONFIG_FILE_NAMES as readonly string[]).includes(path.basename(flags.output)) && (cwd === dir || cwd.startsWith(dir + path.sep) || dir === path.parse(dir).root);
  const next = discovered ? 'mailguard check <paths>' : `mailguard check ${policyArguments({ config: flags.output }).map(shellQuote).join(' ')} <paths>`;
  process.stderr.write(adaptSuggestions(`mailguard: wrote ${flags.output} (internal domains: ${shown}).\n  Next: ${next}   (mailguard explain CODE explains a finding)\n`));
  return EXIT.OK;
}

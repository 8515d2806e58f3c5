// The JSON Schema of the configuration file (schema/, shipped in the package and named by
// `mailguard init` as $schema) and the validator (parseConfig and each command's section) accept
// and refuse the same files, and list the same keys.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { MILTER_SECTION } from '../../src/cli/actions/milter.js';
import { PROXY_SECTION } from '../../src/cli/actions/proxy.js';
import { CONFIG_SCHEMA_PATH, renderConfig, renderExample } from '../../src/cli/actions/init.js';
import { resolveBodyScan } from '../../src/body/settings.js';
import { CONFIG_KEYS, MATCH_KEYS, PROFILE_KEYS, parseConfig } from '../../src/policy/config.js';
import { SEND_SECTION, parseSendConfig } from '../../src/relay/config.js';
import { SENDMAIL_SECTION, parseSendmailConfig } from '../../src/sendmail/config.js';
import { parseSection } from '../../src/policy/config.js';
import { ROOT } from '../helpers/cli.js';

const schema = JSON.parse(readFileSync(path.join(ROOT, 'schema/mailguard.config.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const props = (o: { properties: Record<string, unknown> }) => Object.keys(o.properties).sort();

/** The validator's answer for a whole file: the top level, then each section as its command reads it. */
function accepted(config: Record<string, unknown>): boolean {
  try {
    const c = parseConfig(config, 'test');
    parseSendConfig(c.sections.send, 'test');
    parseSendmailConfig(c.sections.sendmail, 'test');
    parseSection(c.sections.proxy, 'proxy', PROXY_SECTION, 'test');
    parseSection(c.sections.milter, 'milter', MILTER_SECTION, 'test');
    resolveBodyScan(c.sections.bodyScan, {}, 'test');
    return true;
  } catch {
    return false;
  }
}

describe('the configuration JSON Schema', () => {
  it('lists exactly the keys the validator knows, at the top and in each section', () => {
    expect(props(schema)).toEqual(Object.keys(CONFIG_KEYS).sort());
    expect(props(schema.properties.send)).toEqual(Object.keys(SEND_SECTION).sort());
    expect(props(schema.properties.sendmail)).toEqual(Object.keys(SENDMAIL_SECTION).sort());
    expect(props(schema.properties.proxy)).toEqual(Object.keys(PROXY_SECTION).sort());
    expect(props(schema.properties.milter)).toEqual(Object.keys(MILTER_SECTION).sort());
    expect(props(schema.properties.profiles.items)).toEqual(Object.keys(PROFILE_KEYS).sort());
    expect(props(schema.properties.profiles.items.properties.match)).toEqual(Object.keys(MATCH_KEYS).sort());
  });

  it('is what mailguard init names, and accepts what it writes', () => {
    const written = JSON.parse(renderConfig(['corp.example'], 'test'));
    expect(written.$schema).toBe(CONFIG_SCHEMA_PATH);
    expect(CONFIG_SCHEMA_PATH.endsWith('/schema/mailguard.config.schema.json')).toBe(true);
    expect(validate(written)).toBe(true);
    expect(accepted(written)).toBe(true);
    const example = JSON.parse(renderExample());
    expect(example.profiles.map((p: { name: string }) => p.name)).toEqual(['clinic', 'press', 'board']);
    expect(validate(example)).toBe(true);
    expect(accepted(example)).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a full configuration', { internalDomains: ['corp.example'], warnAt: 2, blockAt: 4, warnAddressesAt: 5, blockAddressesAt: 9, publicLists: ['*@lists.example.org'], sensitive: false, rules: { BCC_HEADER_PRESENT: 'off' }, maxWarnings: 0, redact: true, onViolation: 'bcc', smtp: 'smtp://127.0.0.1:25', send: { pool: 2, rate: '10/s', retries: 0, from: 'a@corp.example' }, proxy: { onViolation: 'split', listen: '127.0.0.1:2525', upstream: 'smtp://127.0.0.1:25' }, milter: { onViolation: 'hold', listen: 'inet:127.0.0.1:8891' }, sendmail: { spool: '/var/spool/mailguard' }, bodyScan: { minAddresses: 12 } }],
    ['an unknown top-level key', { internalDomain: ['corp.example'] }],
    ['a threshold of 0', { warnAt: 0 }],
    ['a threshold that is not whole', { blockAt: 2.5 }],
    ['an unknown mode', { onViolation: 'drop' }],
    ['an unknown key in send', { send: { pools: 2 } }],
    ['a pool of 0', { send: { pool: 0 } }],
    ['a bad rate', { send: { rate: 'fast' } }],
    ['an unknown mode in proxy', { proxy: { onViolation: 'drop' } }],
    ['an unknown key in milter', { milter: { workers: 2 } }],
    ['an empty sendmail smtp', { sendmail: { smtp: '' } }],
    ['a rule severity that does not exist', { rules: { BCC_HEADER_PRESENT: 'fatal' } }],
    ['domains that are not strings', { internalDomains: [1] }],
    ['three profiles', { onViolation: 'bcc', profiles: [{ name: 'clinic', match: { authUser: ['dr-ann'], from: ['clinic.example'] }, sensitive: true, blockAt: 2, onViolation: 'block' }, { name: 'press', match: { from: ['press@corp.example'] }, publicLists: ['*@lists.example.org'] }, { name: 'board', match: { envelopeFrom: ['*@board.corp.example'] }, warnAt: 12, blockAt: 15, rules: { BCC_HEADER_PRESENT: 'off' } }] }],
    ['a profile with an unknown key', { profiles: [{ name: 'a', match: { from: ['a.example'] }, blockat: 2 }] }],
    ['a profile without a match', { profiles: [{ name: 'a', warnAt: 2 }] }],
    ['a profile with an empty match', { profiles: [{ name: 'a', match: {} }] }],
    ['a profile whose match lists are empty', { profiles: [{ name: 'a', match: { from: [], authUser: [] } }] }],
    ['a profile with an unknown match key', { profiles: [{ name: 'a', match: { sender: ['a.example'] } }] }],
    ['a profile named default', { profiles: [{ name: 'default', match: { from: ['a.example'] } }] }],
    ['a profile name with a space', { profiles: [{ name: 'the clinic', match: { from: ['a.example'] } }] }],
    ['a pattern with a space', { profiles: [{ name: 'a', match: { authUser: ['dr ann'] } }] }],
    ['a profile mode that does not exist', { profiles: [{ name: 'a', match: { from: ['a.example'] }, onViolation: 'drop' }] }],
    ['profiles as an object', { profiles: { a: {} } }],
  ])('schema and validator agree on %s', (_, config) => {
    expect(validate(config)).toBe(accepted(config));
  });
});

// The CI formats and campaign inputs through the built CLI, as a CI step runs them.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

/** Fixtures with several findings between them: exposure, duplicate field, reply addresses, Bcc,
 * ambiguity (with addresses in the excerpt), a campaign, and a missing file. */
const MIXED = [
  'fixtures/ci-several-findings.eml',
  'fixtures/ambiguous-unclosed-quote.eml',
  'fixtures/bcc-present.eml',
  'fixtures/clean-internal.eml',
  'fixtures/campaign-exposed.json',
  'fixtures/ci-control-chars.eml',
];

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mailguard-ci-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function sarifValidator() {
  const schema = JSON.parse(await readFile(path.join(ROOT, 'tests/data/sarif-schema-2.1.0-rtm.5.json'), 'utf8')) as Record<string, unknown>;
  // The schema is draft-04; ajv 8 reads it as draft-07 once its draft-04 spellings are renamed
  // (it uses no draft-04-only keyword such as a boolean exclusiveMinimum).
  delete schema.$schema;
  schema.$id = schema.id;
  delete schema.id;
  // Its patterns are ECMAScript regexes without the u flag (one has a lone "]").
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
  return ajv.compile(schema);
}

function unescapeData(s: string): string {
  return s.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
}
function unescapeProperty(s: string): string {
  return unescapeData(s.replace(/%2C/g, ',').replace(/%3A/g, ':'));
}

function parseAnnotations(stdout: string) {
  const out: Array<{ kind: string; file?: string; line?: string; title?: string; message: string }> = [];
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning) ([^:]*)::(.*)$/.exec(line);
    if (!m) continue;
    const props = Object.fromEntries(m[2]!.split(',').map((p) => [p.slice(0, p.indexOf('=')), unescapeProperty(p.slice(p.indexOf('=') + 1))]));
    out.push({ kind: m[1]!, ...props, message: unescapeData(m[3]!) });
  }
  return out;
}

describe('--format sarif', () => {
  it('is valid SARIF 2.1.0 with a rule per code and results at file and line, masked by default', async () => {
    const r = await runCli(['check', ...MIXED, '--internal-domain', 'corp.example', '--format', 'sarif']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const log = JSON.parse(r.stdout);
    const validate = await sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The validator does bite: a wrong level or a missing message fails it.
    expect(validate({ ...log, runs: [{ ...log.runs[0], results: [{ ...log.runs[0].results[0], level: 'fatal' }] }] })).toBe(false);
    expect(validate({ ...log, runs: [{ ...log.runs[0], results: [{ ruleId: 'X' }] }] })).toBe(false);
    const run = log.runs[0];
    const ruleIds = run.tool.driver.rules.map((x: { id: string }) => x.id);
    expect(new Set(ruleIds).size).toBe(ruleIds.length);
    const at = (uri: string, ruleId: string) =>
      run.results.filter((x: { ruleId: string; locations?: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }) => x.ruleId === ruleId && x.locations?.[0]?.physicalLocation.artifactLocation.uri === uri);
    const exposure = at('fixtures/ci-several-findings.eml', 'EXPOSED_RECIPIENTS');
    expect(exposure).toHaveLength(1);
    // The first field that holds exposed external addresses: To, line 2.
    expect(exposure[0].locations[0].physicalLocation.region.startLine).toBe(2);
    expect(at('fixtures/ci-several-findings.eml', 'DUPLICATE_RECIPIENT_FIELD')[0].level).toBe('warning');
    expect(at('fixtures/bcc-present.eml', 'BCC_HEADER_PRESENT')[0].locations[0].physicalLocation.region.startLine).toBe(3);
    const campaign = at('fixtures/campaign-exposed.json', 'EXPOSED_RECIPIENTS');
    expect(campaign.map((x: { locations: Array<{ physicalLocation: { region: { startLine: number } } }> }) => x.locations[0]!.physicalLocation.region.startLine)).toEqual([10, 18]);
    expect(campaign[0].locations[0].logicalLocations[0].fullyQualifiedName).toBe('messages[1].cc');
    for (const x of run.results) expect(ruleIds[x.ruleIndex]).toBe(x.ruleId);
    // Masked: the ambiguous fixture's addresses appear only as a***@one.test.
    expect(r.stdout).toContain('a***@one.test');
    expect(r.stdout).not.toContain('a@one.test');
    const shown = await runCli(['check', 'fixtures/ambiguous-unclosed-quote.eml', '--format', 'sarif', '--no-redact']);
    expect(shown.stdout).toContain('a@one.test');
  });

  it('fingerprints are stable between runs and when lines move', async () => {
    const moved = path.join(tmp, 'moved');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(moved, 'fixtures'), { recursive: true });
    const original = await readFile(path.join(ROOT, 'fixtures/ci-several-findings.eml'), 'utf8');
    await writeFile(path.join(moved, 'fixtures/ci-several-findings.eml'), `X-Extra: 1\nX-Extra: 2\n${original}`);
    const fps = (stdout: string) => JSON.parse(stdout).runs[0].results.map((x: { ruleId: string; partialFingerprints: Record<string, string>; locations: Array<{ physicalLocation: { region: { startLine: number } } }> }) => [x.ruleId, x.partialFingerprints['mailguardFinding/v1'], x.locations[0]!.physicalLocation.region.startLine]);
    const a = fps((await runCli(['check', 'fixtures/ci-several-findings.eml', '--format', 'sarif'])).stdout);
    const b = fps((await runCli(['check', 'fixtures/ci-several-findings.eml', '--format', 'sarif'])).stdout);
    const c = fps((await runCli(['check', 'fixtures/ci-several-findings.eml', '--format', 'sarif'], { cwd: moved })).stdout);
    expect(b).toEqual(a);
    expect(c.map((x: unknown[]) => x[1])).toEqual(a.map((x: unknown[]) => x[1]));
    expect(c.map((x: unknown[]) => x[2])).toEqual(a.map((x: unknown[]) => (x[2] as number) + 2));
    expect(new Set(a.map((x: unknown[]) => x[1])).size).toBe(a.length);
  });
});

describe('--format github', () => {
  it('annotations parse back to file, line, title and message; errors first; masked by default', async () => {
    const r = await runCli(['check', ...MIXED, '--internal-domain', 'corp.example', '--format', 'github'], { env: { GITHUB_STEP_SUMMARY: undefined } });
    expect(r.code).toBe(1);
    const notes = parseAnnotations(r.stdout);
    const kinds = notes.map((n) => n.kind);
    expect(kinds.lastIndexOf('error')).toBeLessThan(kinds.indexOf('warning'));
    const several = notes.filter((n) => n.file === 'fixtures/ci-several-findings.eml');
    expect(several.map((n) => [n.kind, n.line, n.title])).toEqual([
      ['error', '2', 'Exposed recipient list (EXPOSED_RECIPIENTS)'],
      ['warning', '3', 'Duplicate recipient field (DUPLICATE_RECIPIENT_FIELD)'],
      ['warning', '5', 'Addresses exposed in reply fields (EXPOSED_REPLY_ADDRESSES)'],
    ]);
    const campaign = notes.find((n) => n.file === 'fixtures/campaign-exposed.json' && n.kind === 'error' && n.title?.includes('EXPOSED'));
    expect(campaign?.line).toBe('10');
    expect(campaign?.message).toContain('messages[1].cc');
    expect(r.stdout).toContain('a***@one.test');
    expect(r.stdout).not.toContain('a@one.test');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^mailguard: 6 messages checked|^mailguard: \d+ messages checked/);
  });

  it('appends a Markdown summary to $GITHUB_STEP_SUMMARY, keeping what was there', async () => {
    const summary = path.join(tmp, 'summary.md');
    await writeFile(summary, '# earlier step\n');
    // bcc-present.eml is a draft at rest: its Bcc field is a note (info), so it passes.
    const r = await runCli(['check', 'fixtures/ci-several-findings.eml', 'fixtures/bcc-present.eml', '--format', 'github'], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(r.code).toBe(1);
    const md = await readFile(summary, 'utf8');
    expect(md.startsWith('# earlier step\n')).toBe(true);
    expect(md).toContain('| verdict | message | where | code | severity | finding |');
    expect(md.split('\n').filter((l) => /^\| .*`[A-Z_]+`/.test(l))).toHaveLength(4);
    expect(md).toContain('2 messages checked: 1 pass, 0 warn, 1 block, 0 error');
  });
});

describe('--format junit', () => {
  it('parses as XML: one testcase per message, a failure per blocking finding', async () => {
    const r = await runCli(['check', ...MIXED, 'fixtures/no-such.eml', '--internal-domain', 'corp.example', '--format', 'junit']);
    expect(r.code).toBe(2);
    expect(XMLValidator.validate(r.stdout)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testcase', 'failure'].includes(name) }).parse(r.stdout);
    const suite = doc.testsuites.testsuite;
    const cases = suite.testcase as Array<{ name: string; failure?: Array<{ type: string }>; error?: { type: string }; 'system-out'?: string }>;
    // 5 files + 4 campaign messages + the missing file.
    expect(cases).toHaveLength(10);
    expect(Number(suite.tests)).toBe(10);
    const byName = new Map(cases.map((c) => [c.name, c]));
    expect(byName.get('fixtures/ci-several-findings.eml')?.failure?.map((f) => f.type)).toEqual(['EXPOSED_RECIPIENTS']);
    expect(byName.get('fixtures/ci-several-findings.eml')?.['system-out']).toContain('DUPLICATE_RECIPIENT_FIELD');
    expect(byName.get('fixtures/ci-control-chars.eml')?.failure?.length).toBeGreaterThanOrEqual(1);
    expect(byName.get('fixtures/clean-internal.eml')?.failure).toBeUndefined();
    expect(byName.get('fixtures/no-such.eml')?.error?.type).toBe('UNREADABLE_MESSAGE');
    expect(Number(suite.failures)).toBe(cases.filter((c) => c.failure).length);
    expect(r.stdout).not.toContain('a@one.test');
  });
});

describe('--output FILE', () => {
  it.each(['human', 'json', 'sarif', 'github', 'junit'])('%s: the report goes to the file, nothing to stdout', async (format) => {
    const out = path.join(tmp, `report.${format}`);
    const r = await runCli(['check', 'fixtures/ci-several-findings.eml', '--format', format, '--output', out], { env: { GITHUB_STEP_SUMMARY: undefined } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const written = await readFile(out, 'utf8');
    const direct = await runCli(['check', 'fixtures/ci-several-findings.eml', '--format', format], { env: { GITHUB_STEP_SUMMARY: undefined } });
    expect(written).toBe(direct.stdout);
  });
});

describe('campaign files', () => {
  it('good: every message passes, exit 0', async () => {
    const r = await runCli(['check', 'fixtures/campaign-good.json', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { source: string }) => x.source)).toEqual([0, 1, 2, 3].map((i) => `fixtures/campaign-good.json#messages[${i}]`));
    expect(doc.results.every((x: { verdict: string }) => x.verdict === 'pass')).toBe(true);
    // Bcc recipients are envelope-only, as nodemailer sends them.
    expect(doc.results[2].recipients.hidden).toHaveLength(5);
  });

  it('exposed: exit 1, findings point at the JSON line and path', async () => {
    const r = await runCli(['check', 'fixtures/campaign-exposed.json', '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const findings = doc.results.flatMap((x: { source: string; findings: Array<{ code: string; line: number; jsonPath: string }> }) => x.findings.map((f) => [x.source.split('#')[1], f.code, f.line, f.jsonPath]));
    expect(findings).toEqual([
      ['messages[1]', 'EXPOSED_RECIPIENTS', 10, 'messages[1].cc'],
      ['messages[2]', 'EXPOSED_RECIPIENTS', 18, 'messages[2].to'],
      ['messages[3]', 'AMBIGUOUS_RECIPIENT', 23, 'messages[3].to'],
    ]);
    const human = await runCli(['check', 'fixtures/campaign-exposed.json']);
    expect(human.stdout).toContain('(line 10, messages[1].cc)');
    expect(human.stdout).toContain('fix: in messages[1].cc, move the external addresses to "bcc"');
  });

  it('malformed: exit 2 with the line and column', async () => {
    const r = await runCli(['check', 'fixtures/campaign-malformed.json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('invalid JSON at line 4, column 32');
    const json = JSON.parse((await runCli(['check', 'fixtures/campaign-malformed.json', '--format', 'json'])).stdout);
    expect(json.results[0].findings[0].args).toMatchObject({ reason: 'bad-campaign' });
  });

  it('a message without recipients is an error located in its file', async () => {
    const file = path.join(tmp, 'no-recipients.json');
    await writeFile(file, '{"messages": [{"to": "a@corp.example"}, {"from": "a@corp.example"}]}');
    const r = await runCli(['check', file, '--format', 'sarif']);
    expect(r.code).toBe(2);
    const [result] = JSON.parse(r.stdout).runs[0].results;
    expect(result.ruleId).toBe('UNREADABLE_MESSAGE');
    expect(result.properties.source).toBe(`${file}#messages[1]`);
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe(`file://${file}`);
  });

  it('piped on stdin, detected by its first character', async () => {
    const text = await readFile(path.join(ROOT, 'fixtures/campaign-exposed.json'));
    const r = await runCli(['check', '-', '--format', 'json'], { input: text });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).results.map((x: { source: string }) => x.source)).toContain('-#messages[1]');
  });

  it('directories still walk only message files, not JSON', async () => {
    const r = await runCli(['check', 'fixtures/ci-maildir', '--format', 'json']);
    expect(JSON.parse(r.stdout).results.every((x: { source: string }) => !x.source.endsWith('.json'))).toBe(true);
  });
});

describe('mbox and Maildir inputs', () => {
  it('an mbox: one result per message, lines counted in the file', async () => {
    const r = await runCli(['check', 'fixtures/ci-campaign.mbox', '--internal-domain', 'corp.example', '--format', 'sarif']);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout).runs[0].results;
    expect(results).toHaveLength(1);
    expect(results[0].properties.source).toBe('fixtures/ci-campaign.mbox#2');
    expect(results[0].locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'fixtures/ci-campaign.mbox' }, region: { startLine: 11 } });
  });

  it('a Maildir folder: cur and new are read, tmp is not', async () => {
    const r = await runCli(['check', 'fixtures/ci-maildir', '--internal-domain', 'corp.example', '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { source: string; verdict: string }) => [path.basename(path.dirname(x.source)), x.verdict])).toEqual([
      ['cur', 'pass'],
      ['new', 'block'],
    ]);
  });
});

describe('the GitHub Action (action.yml)', () => {
  /** The check step's script, as the runner would run it (bash -eo pipefail). */
  async function actionScript(): Promise<string> {
    const yml = await readFile(path.join(ROOT, 'action.yml'), 'utf8');
    const lines = yml.split('\n');
    const start = lines.findIndex((l, n) => l.trim() === 'run: |' && lines.slice(0, n).some((x) => x.includes('id: check')));
    const body: string[] = [];
    for (const line of lines.slice(start + 1)) {
      if (line.trim() !== '' && !line.startsWith('        ')) break;
      body.push(line.slice(8));
    }
    return body.join('\n');
  }

  it('runs check with the inputs, writes SARIF when asked, and reports the exit code as an output', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = path.join(tmp, 'action-step.sh');
    await writeFile(script, await actionScript());
    const outputs = path.join(tmp, 'github-output');
    await writeFile(outputs, '');
    const sarif = path.join(tmp, 'action.sarif');
    const env = {
      ...process.env,
      MG_PATHS: 'fixtures/ci-several-findings.eml\nfixtures/campaign-good.json',
      MG_FORMAT: 'github',
      MG_OUTPUT: '',
      MG_UPLOAD_SARIF: 'true',
      MG_SARIF_FILE: sarif,
      MG_CONFIG: '',
      MG_INTERNAL_DOMAINS: 'corp.example',
      MG_SENSITIVE: 'false',
      MG_MAX_WARNINGS: '',
      MG_NO_REDACT: 'false',
      MG_VERSION: '',
      GITHUB_OUTPUT: outputs,
      GITHUB_ACTION_PATH: ROOT,
      GITHUB_STEP_SUMMARY: '',
    };
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: ROOT, env, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(await readFile(outputs, 'utf8')).toBe(`sarif-file=${sarif}\nupload=true\nexit-code=1\n`);
    expect(parseAnnotations(r.stdout).map((a) => a.title)).toContain('Exposed recipient list (EXPOSED_RECIPIENTS)');
    const log = JSON.parse(await readFile(sarif, 'utf8'));
    expect(log.runs[0].results.length).toBeGreaterThan(0);
  });
});

describe('absolute paths in CI formats', () => {
  it('a path under the workspace (GITHUB_WORKSPACE, else the working directory) is reported relative to it', async () => {
    const abs = path.join(ROOT, 'fixtures/customer-list-to.eml');
    const sarif = await runCli(['check', abs, '--format', 'sarif'], { env: { GITHUB_WORKSPACE: '' } });
    expect(JSON.parse(sarif.stdout).runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('fixtures/customer-list-to.eml');
    const github = await runCli(['check', abs, '--format', 'github'], { env: { GITHUB_WORKSPACE: path.join(ROOT, 'fixtures') } });
    expect(github.stdout).toMatch(/^::error file=customer-list-to\.eml,line=2,/m);
    // Outside the workspace and the working directory: stays absolute. The working directory is a
    // fresh folder, never an ancestor of the checkout (CI may clone under the temp directory).
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'mailguard-outside-'));
    try {
      const outside = await runCli(['check', abs, '--format', 'github'], { cwd: elsewhere, env: { GITHUB_WORKSPACE: '' } });
      expect(outside.stdout).toContain(`::error file=${abs},`);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});

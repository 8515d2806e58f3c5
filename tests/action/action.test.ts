// action.yml run as a GitHub runner would: the composite steps are read from the YAML and their
// `run:` scripts executed with bash -eo pipefail in a simulated runner environment
// (GITHUB_WORKSPACE, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ACTION_PATH, GITHUB_EVENT_PATH),
// inputs passed through the step's `env:` exactly as its ${{ inputs.* }} expressions say.
import { cpSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runProcess, type RunResult } from '../helpers/cli.js';

interface Step { id?: string; if?: string; shell?: string; run?: string; uses?: string; env?: Record<string, string>; with?: Record<string, string>; 'working-directory'?: string; 'continue-on-error'?: boolean }
interface Action { inputs: Record<string, { default?: string }>; runs: { using: string; steps: Step[] } }

const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as Action;
const steps = action.runs.steps;
const checkStep = steps.find((s) => s.id === 'check')!;
const uploadStep = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif'))!;
const failStep = steps.at(-1)!;

let ws: string;
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-action-'));
  ws = path.join(tmp, 'repo');
  for (const d of ['outbox', 'campaigns', 'sub/outbox', 'only-json/campaigns', 'docs']) mkdirSync(path.join(ws, d), { recursive: true });
  copyFileSync(path.join(ROOT, 'examples/outbox/spring-offer-to-customers.eml'), path.join(ws, 'outbox/offer.eml'));
  copyFileSync(path.join(ROOT, 'examples/outbox/team-lunch.eml'), path.join(ws, 'outbox/lunch.eml'));
  copyFileSync(path.join(FIXTURES, 'campaign-exposed.json'), path.join(ws, 'campaigns/spring.json'));
  copyFileSync(path.join(FIXTURES, 'campaign-good.json'), path.join(ws, 'campaigns/good.json'));
  copyFileSync(path.join(FIXTURES, 'campaign-exposed.json'), path.join(ws, 'docs/autumn.campaign.json'));
  copyFileSync(path.join(FIXTURES, 'campaign-exposed.json'), path.join(ws, 'only-json/campaigns/winter.json'));
  copyFileSync(path.join(ROOT, 'examples/outbox/spring-offer-to-customers.eml'), path.join(ws, 'sub/outbox/x.eml'));
  // JSON that is not a campaign: never read as one.
  writeFileSync(path.join(ws, 'package.json'), '{ "name": "shop", "private": true }\n');
  writeFileSync(path.join(ws, 'tsconfig.json'), '{ "compilerOptions": {} }\n');
  writeFileSync(path.join(ws, 'mailguard.config.json'), '{ "internalDomains": ["corp.example"] }\n');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run extends RunResult { outputs: Record<string, string>; summary: string }

/** Runs one step's script as the runner does: `${{ inputs.x }}` from `inputs` or the default. */
async function runStep(step: Step, inputs: Record<string, string>, options: { event?: object; actionPath?: string; extraEnv?: Record<string, string>; stepOutputs?: Record<string, string> } = {}): Promise<Run> {
  const value = (expr: string): string =>
    expr.replace(/\$\{\{\s*(inputs\.([\w-]+)|steps\.check\.outputs\.([\w-]+))\s*\}\}/g, (_m, _all, input: string | undefined, out: string | undefined) =>
      input !== undefined ? (inputs[input] ?? action.inputs[input]?.default ?? '') : (options.stepOutputs?.[out!] ?? ''),
    );
  const dir = mkdtempSync(path.join(tmp, 'step-'));
  const script = path.join(dir, 'script.sh');
  writeFileSync(script, step.run!);
  const outputFile = path.join(dir, 'output');
  const summaryFile = path.join(dir, 'summary');
  writeFileSync(outputFile, '');
  let eventPath = '';
  if (options.event) {
    eventPath = path.join(dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(options.event));
  }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: ws,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_ACTION_PATH: options.actionPath ?? ROOT,
    GITHUB_EVENT_NAME: options.event ? 'pull_request' : 'push',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_ACTOR: 'octocat',
    ...options.extraEnv,
  };
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = value(v);
  const cwd = path.join(ws, value(step['working-directory'] ?? '.'));
  const r = await runProcess('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env, timeoutMs: 180_000 });
  const outputs = Object.fromEntries(readFileSync(outputFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const summary = existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '';
  return { ...r, outputs, summary };
}

const annotated = (r: Run) => [...r.stdout.matchAll(/^::(error|warning) file=([^,]+)/gm)].map((m) => m[2]!).sort();

describe('action.yml', () => {
  it('is a composite action whose inputs are all used, with no version input (nothing is fetched from npm by name)', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.inputs.version).toBeUndefined();
    const text = readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
    expect(text).not.toMatch(/npx[^\n]*mailguard@/);
    for (const name of Object.keys(action.inputs)) expect(text).toContain(`inputs.${name}`);
  });

  it('defaults (paths "."): mail files and campaign JSON files anywhere are checked, other JSON is not; exit-code 1', async () => {
    const r = await runStep(checkStep, {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.outputs['exit-code']).toBe('1');
    expect(annotated(r)).toEqual(expect.arrayContaining(['campaigns/spring.json', 'docs/autumn.campaign.json', 'only-json/campaigns/winter.json', 'outbox/offer.eml', 'sub/outbox/x.eml']));
    expect(annotated(r).filter((f) => /package|tsconfig|mailguard\.config|good|lunch/.test(f))).toEqual([]);
    expect(r.summary).toContain('EXPOSED_RECIPIENTS');
  });

  it.each([
    ['campaigns/', ['campaigns/spring.json']],
    ['only-json', ['only-json/campaigns/winter.json']],
    ['outbox docs', ['docs/autumn.campaign.json', 'outbox/offer.eml']],
    ['outbox/*.eml', ['outbox/offer.eml']],
  ])('paths %j: annotations on %j, nothing reported unreadable', async (paths, files) => {
    const r = await runStep(checkStep, { paths });
    expect(r.outputs['exit-code']).toBe('1');
    expect([...new Set(annotated(r))]).toEqual(files);
    expect(r.stdout + r.stderr).not.toMatch(/no message files|UNREADABLE|pattern matched no file/);
  });

  it('working-directory: paths relative to it, annotations relative to the repository root', async () => {
    const r = await runStep(checkStep, { 'working-directory': 'sub', paths: 'outbox' });
    expect(r.outputs['exit-code']).toBe('1');
    expect([...new Set(annotated(r))]).toEqual(['sub/outbox/x.eml']);
  });

  it.each([
    ['an absolute sarif-file', {}, () => path.join(tmp, 'abs', 'report.sarif'), 'outbox/offer.eml'],
    ['a relative sarif-file under working-directory', { 'working-directory': 'sub' }, () => path.join(ws, 'sub', 'mailguard.sarif'), 'sub/outbox/x.eml'],
  ])('upload-sarif with %s: written there, output as an absolute path, locations repository-relative', async (_name, extra, where, uri) => {
    const file = where();
    mkdirSync(path.dirname(file), { recursive: true });
    const sarifInput = path.isAbsolute(file) && !file.startsWith(ws) ? file : 'mailguard.sarif';
    const r = await runStep(checkStep, { ...extra, paths: 'outbox', 'upload-sarif': 'true', 'sarif-file': sarifInput });
    expect(r.outputs['sarif-file']).toBe(file);
    expect(r.outputs.upload).toBe('true');
    const sarif = JSON.parse(readFileSync(file, 'utf8'));
    const uris = sarif.runs[0].results.map((x: { locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }) => x.locations[0]!.physicalLocation.artifactLocation.uri);
    expect(uris).toContain(uri);
    // The upload step takes the output as it is (no working-directory prefix on an absolute path).
    expect(uploadStep.with?.sarif_file).toBe('${{ steps.check.outputs.sarif-file }}');
    expect(uploadStep['continue-on-error']).toBe(true);
  });

  const pr = (head: string) => ({ pull_request: { head: { repo: { full_name: head } } }, repository: { full_name: 'shop/site' } });
  it.each([
    ['a pull request from a fork', 'false', pr('someone/site'), {}],
    ['a pull request from a branch of the repository', 'true', pr('shop/site'), {}],
    ['a Dependabot pull request', 'false', pr('shop/site'), { GITHUB_ACTOR: 'dependabot[bot]' }],
  ])('%s: upload=%s, the annotations are printed either way', async (_name, upload, event, extraEnv) => {
    const r = await runStep(checkStep, { paths: 'outbox', 'upload-sarif': 'true' }, { event, extraEnv });
    expect(r.outputs.upload).toBe(upload);
    expect(r.outputs['exit-code']).toBe('1');
    expect(annotated(r)).toContain('outbox/offer.eml');
    if (upload === 'false') expect(r.stdout).toMatch(/^::notice title=mailguard::SARIF not uploaded/m);
    expect(uploadStep.if).toContain("steps.check.outputs.upload == 'true'");
  });

  it('the last step fails the job with mailguard\'s exit code, and passes on 0', async () => {
    for (const code of ['1', '2']) {
      const r = await runStep(failStep, {}, { stepOutputs: { 'exit-code': code } });
      expect(r.code).toBe(Number(code));
    }
    expect(failStep.if).toBe("${{ steps.check.outputs.exit-code != '0' }}");
  });

  it("the action's own checkout with a built dist/ and no node_modules: npm ci --omit=dev, then runs", async () => {
    const copy = path.join(tmp, 'action-checkout');
    mkdirSync(copy);
    for (const part of ['package.json', 'package-lock.json', 'bin', 'dist', '.npmrc']) cpSync(path.join(ROOT, part), path.join(copy, part), { recursive: true });
    const r = await runStep(checkStep, { paths: 'outbox' }, { actionPath: copy, extraEnv: { npm_config_prefer_offline: 'true' } });
    expect(r.outputs['exit-code'], r.stderr).toBe('1');
    expect(annotated(r)).toContain('outbox/offer.eml');
    expect(existsSync(path.join(copy, 'node_modules/commander'))).toBe(true);
    // Production dependencies only: no test runner, no build tool, no mailparser.
    for (const dev of ['vitest', 'tsup', 'mailparser', 'typescript']) expect(existsSync(path.join(copy, 'node_modules', dev)), dev).toBe(false);
  }, 200_000);
});

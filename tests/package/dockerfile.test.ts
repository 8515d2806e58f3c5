// The container image (Dockerfile) and the compose example. Building needs a container engine:
// the build test runs where `docker info` answers (else it is skipped with the reason printed),
// and the structure is linted everywhere (dockerfile-ast, the parser of the Docker language
// server): multi-stage, non-root, production dependencies only, pinned base images, every COPY
// source present and not ignored.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, runProcess } from '../helpers/cli.js';

const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions();
const froms = dockerfile.getFROMs();
/** The instructions of each stage, in order. */
const stages: Instruction[][] = [];
for (const i of instructions) {
  if (i.getKeyword() === 'FROM') stages.push([]);
  stages.at(-1)?.push(i);
}
const finalStage = stages.at(-1)!;
const args = (i: Instruction) => i.getArgumentsContent() ?? '';
const flags = (i: Instruction): Record<string, string> => Object.fromEntries(((i as unknown as { getFlags?: () => Array<{ getName(): string; getValue(): string | null }> }).getFlags?.() ?? []).map((f) => [f.getName(), f.getValue() ?? '']));
const dockerignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

/** Why no image can be built here, or undefined when a container engine answers `docker info`. */
function noEngineReason(): string | undefined {
  try {
    execFileSync('docker', ['info'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
    return undefined;
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    const detail = err.code === 'ENOENT' ? 'no docker command' : (err.stderr?.toString().trim().split('\n').at(-1) ?? String(e));
    return `no container engine (docker info: ${detail}); the Dockerfile was linted with dockerfile-ast instead`;
  }
}
const NO_ENGINE = noEngineReason();
// Printed once at collection, so a run without an engine says why the build test did not run.
if (NO_ENGINE !== undefined) console.warn(`tests/package/dockerfile.test.ts: image build skipped: ${NO_ENGINE}`);

describe('Dockerfile', () => {
  it('multi-stage: a named build stage, then the runtime stage, both on a pinned slim Node 22/24 image', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0]!.getBuildStage()).toBe('build');
    const version = /^ARG NODE_VERSION=(\d+)$/m.exec(text)?.[1];
    expect(['22', '24']).toContain(version);
    for (const f of froms) {
      expect(args(f)).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim\b/);
      expect(args(f)).not.toMatch(/:latest\b/);
    }
  });

  it('the runtime stage runs as an unprivileged user and has production dependencies only', () => {
    const users = finalStage.filter((i) => i.getKeyword() === 'USER').map(args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    // node_modules comes from the build stage after `npm prune --omit=dev`; nothing installs here.
    const build = stages[0]!.filter((i) => i.getKeyword() === 'RUN').map(args).join('\n');
    expect(build).toMatch(/npm ci\b/);
    expect(build).toMatch(/tsup/);
    expect(build).toMatch(/npm prune --omit=dev/);
    expect(finalStage.filter((i) => i.getKeyword() === 'RUN').map(args).join('\n')).not.toMatch(/npm (ci|install)/);
    const fromBuild = finalStage.filter((i) => i.getKeyword() === 'COPY' && flags(i).from === 'build').map(args);
    expect(fromBuild).toEqual(expect.arrayContaining([expect.stringMatching(/node_modules/), expect.stringMatching(/dist/)]));
    expect(finalStage.some((i) => i.getKeyword() === 'ENV' && /NODE_ENV=production/.test(args(i)))).toBe(true);
  });

  it('starts the CLI in exec form (signals reach node: the proxy stops cleanly on SIGTERM)', () => {
    const entry = finalStage.find((i) => i.getKeyword() === 'ENTRYPOINT')!;
    expect(JSON.parse(args(entry))).toEqual(['node', '/app/bin/mailguard.js']);
    const cmd = JSON.parse(args(finalStage.find((i) => i.getKeyword() === 'CMD')!)) as string[];
    expect(cmd[0]).toBe('proxy');
    expect(finalStage.some((i) => i.getKeyword() === 'EXPOSE' && args(i) === '2525')).toBe(true);
  });

  it('every COPY from the build context exists and is not excluded by .dockerignore; local builds are', () => {
    expect(dockerignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
    for (const i of instructions.filter((x) => x.getKeyword() === 'COPY' && flags(x).from === undefined)) {
      const parts = i.getArguments().map((a) => a.getValue());
      for (const src of parts.slice(0, -1)) {
        expect(existsSync(path.join(ROOT, src)), src).toBe(true);
        expect(dockerignore, src).not.toContain(src.replace(/\/$/, ''));
      }
    }
    // The build stage compiles with the same files `npm run build` uses.
    const copied = instructions.filter((x) => x.getKeyword() === 'COPY').flatMap((x) => x.getArguments().map((a) => a.getValue()));
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsup.config.ts', 'src', 'bin']) expect(copied).toContain(f);
  });

  it('only the instructions this image needs (no ADD), and no curl | sh', () => {
    for (const i of instructions) {
      expect(i.getKeyword(), i.getTextContent?.() ?? '').toMatch(/^(FROM|ARG|WORKDIR|COPY|RUN|ENV|USER|EXPOSE|ENTRYPOINT|CMD|LABEL|HEALTHCHECK)$/);
    }
    expect(text).not.toMatch(/curl[^\n]*\|\s*(ba)?sh/);
  });

  it('builds, and the image runs mailguard as a non-root user', async ({ skip }) => {
    skip(NO_ENGINE !== undefined, NO_ENGINE);
    const tag = 'mailguard-test:dockerfile';
    const build = await runProcess('docker', ['build', '-t', tag, ROOT], { timeoutMs: 900_000 });
    expect(build.code, build.stderr).toBe(0);
    const who = await runProcess('docker', ['run', '--rm', '--entrypoint', 'id', tag, '-u']);
    expect(who.stdout.trim()).not.toBe('0');
    const version = await runProcess('docker', ['run', '--rm', tag, '--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    await runProcess('docker', ['rmi', tag]);
  }, 960_000);
});

describe('deploy/docker-compose.yml', () => {
  const compose = parse(readFileSync(path.join(ROOT, 'deploy/docker-compose.yml'), 'utf8')) as { services: Record<string, { build?: { context: string; dockerfile?: string; dockerfile_inline?: string }; command?: string[]; ports?: string[]; depends_on?: string[]; read_only?: boolean; cap_drop?: string[] }> };
  const mg = compose.services.mailguard!;

  it('builds this Dockerfile and runs the proxy in front of the postfix service', () => {
    expect(path.resolve(ROOT, 'examples', mg.build!.context)).toBe(ROOT);
    expect(mg.build!.dockerfile).toBe('Dockerfile');
    expect(mg.command![0]).toBe('proxy');
    const upstream = mg.command![mg.command!.indexOf('--upstream') + 1]!;
    expect(new URL(upstream).hostname).toBe('postfix');
    expect(compose.services.postfix).toBeDefined();
    expect(mg.depends_on).toContain('postfix');
    expect(compose.services.postfix!.build!.dockerfile_inline).toMatch(/CMD \["postfix", "start-fg"\]/);
  });

  it('publishes the unauthenticated port on the loopback address only, and drops privileges', () => {
    expect(mg.command).toContain('--allow-unauthenticated');
    for (const p of mg.ports!) expect(p).toMatch(/^127\.0\.0\.1:/);
    expect(mg.read_only).toBe(true);
    expect(mg.cap_drop).toEqual(['ALL']);
  });

  it('the proxy accepts exactly these options (same command line, run locally with --help)', async () => {
    // --help after the options: commander validates each option and choice, then prints help.
    const r = await runCli([...mg.command!, '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: mailguard proxy/);
  });
});

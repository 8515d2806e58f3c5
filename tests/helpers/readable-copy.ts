// A copy of the built CLI that another user can run: bin/, dist/, package.json and the
// production dependencies, in a world-readable temp dir. Tests that drop to `nobody` need it,
// because the checkout may live in a private folder (a home directory with mode 700, mktemp -d)
// that nobody cannot enter, and then `node bin/mailguard.js` fails with "Cannot find module".
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './cli.js';

/** The package dirs of `name` and everything it needs at run time, as Node would resolve them from `from`. */
function collectDependencies(names: string[], from: string, found: Set<string>): void {
  for (const name of names) {
    let dir = from;
    let pkgDir: string | undefined;
    // Node's lookup: node_modules/<name> here, then in each parent up to the checkout.
    for (;;) {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) {
        pkgDir = candidate;
        break;
      }
      if (dir === ROOT || path.dirname(dir) === dir) break;
      dir = path.dirname(dir);
    }
    if (!pkgDir) continue; // an optional dependency that is not installed
    if (found.has(pkgDir)) continue;
    found.add(pkgDir);
    const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    collectDependencies(Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }), pkgDir, found);
  }
}

/** Copies the runnable CLI to a new temp dir (mode 755) and returns that dir; the caller removes it. */
export function copyCliForOtherUsers(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mailguard-readable-'));
  chmodSync(dir, 0o755);
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const part of ['bin', 'dist', 'package.json']) cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true });
  const deps = new Set<string>();
  collectDependencies(Object.keys(pkg.dependencies ?? {}), ROOT, deps);
  mkdirSync(path.join(dir, 'node_modules'));
  for (const d of deps) cpSync(d, path.join(dir, path.relative(ROOT, d)), { recursive: true });
  return dir;
}

// Campaign files mailguard must refuse (exit 2, naming the key and its line), run the three ways a
// user meets them: the built CLI on a file, the CLI on stdin, and parseCampaign. Shared by the
// red-team files on campaign keys (redteam-inputs-campaign-keys, redteam-inputs2-campaign-layout).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCampaign } from '../../src/io/campaign.js';
import { runCli } from './cli.js';

/** Five external addresses at five organisations, as a JSON list and as one JSON string. */
export const LIST = JSON.stringify(['a1@alpha.example', 'b1@beta.example', 'c1@gamma.example', 'd1@delta.example', 'e1@epsilon.example']);
export const LIST_TEXT = JSON.stringify('a1@alpha.example, b1@beta.example, c1@gamma.example, d1@delta.example, e1@epsilon.example');

/** [name, file text, what the refusal names (in check's finding and parseCampaign's error alike)] */
export type Refused = Array<[string, string, RegExp]>;

/** A private folder for a test file's campaign files, removed after its tests. */
export function campaignDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Each file refused by check (its finding naming what `names` matches), on stdin, and by parseCampaign; no address of the list in what the refusal says. */
export function refusedEverywhere(title: string, refused: Refused, dir: string): void {
  describe(title, () => {
    for (const [name, text, names] of refused) {
      it(`check: ${name}`, async () => {
        const file = path.join(dir, `${name.replace(/\W+/g, '-')}.json`);
        writeFileSync(file, text);
        const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
        expect(r.code).toBe(2);
        const json = JSON.parse(r.stdout) as { results: Array<{ verdict: string; findings: Array<{ message: string }> }> };
        expect(json.results.map((x) => x.verdict)).toEqual(['error']);
        expect(json.results[0]!.findings.map((f) => f.message).join(' ')).toMatch(names);
        expect(r.stdout + r.stderr).not.toContain('a1@alpha.example');
      });

      it(`piped in: ${name}`, async () => {
        const r = await runCli(['check', '-', '--internal-domain', 'corp.example'], { input: text });
        expect(r.code).toBe(2);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      });

      it(`parseCampaign: ${name}`, () => {
        expect(() => parseCampaign(text, 'c.json')).toThrow(names);
      });
    }
  });
}

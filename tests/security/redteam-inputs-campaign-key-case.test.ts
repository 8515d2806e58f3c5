// Red team, campaign files: a recipient key in another case or spelling (`"CC"`, `"Bcc"`, `"To"`,
// `"reply_to"`, `"Headers"`). nodemailer's keys are case-sensitive, so it leaves such a field out
// and the check passed the message, while a sender that reads keys loosely shows the list (and a
// "Bcc" the author meant as blind is silently dropped). Refused (exit 2, naming the key and the
// one nodemailer reads), never a pass. The built CLI is run on real files and on stdin.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCampaign } from '../../src/io/campaign.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-campaign-case-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = JSON.stringify(['a1@alpha.example', 'b1@beta.example', 'c1@gamma.example', 'd1@delta.example', 'e1@epsilon.example']);
const LIST_TEXT = JSON.stringify('a1@alpha.example, b1@beta.example, c1@gamma.example, d1@delta.example, e1@epsilon.example');

/** [name, file text, what the refusal names] */
const REFUSED: Array<[string, string, RegExp]> = [
  ['"CC" beside "to"', `{"from": "news@corp.example", "to": "news@corp.example", "CC": ${LIST}}`, /CC.*"cc"/],
  ['"Bcc" (nodemailer drops it, the list is never blind)', `{"from": "news@corp.example", "to": ${LIST_TEXT}, "Bcc": "x@corp.example"}`, /Bcc.*"bcc"/],
  ['"To" in defaults', `{"defaults": {"To": ${LIST}}, "messages": [{"from": "news@corp.example", "to": "news@corp.example"}]}`, /defaults\.To.*"to"/],
  ['"reply_to" in a message of an array', `[{"from": "news@corp.example", "to": "news@corp.example", "reply_to": ${LIST}}]`, /reply_to.*"replyTo"/],
  ['"cc " with a trailing space', `{"from": "news@corp.example", "to": "news@corp.example", "cc ": ${LIST}}`, /"cc ".*"cc"/],
  ['" to" with a leading tab, in messages', `{"messages": [{"from": "news@corp.example", "\\tto": ${LIST}, "to": "news@corp.example"}]}`, /"\\tto".*"to"/],
  ['"Headers"', `{"from": "news@corp.example", "to": "news@corp.example", "Headers": {"Cc": ${LIST_TEXT}}}`, /Headers.*"headers"/],
];

describe('a campaign recipient key in another case or spelling is refused', () => {
  for (const [name, text, names] of REFUSED) {
    it(`check: ${name}`, async () => {
      const file = path.join(dir, `${name.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, text);
      const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
      expect(r.code).toBe(2);
      const json = JSON.parse(r.stdout) as { results: Array<{ verdict: string; findings: Array<{ message: string }> }> };
      expect(json.results.map((x) => x.verdict)).toEqual(['error']);
      expect(json.results[0]!.findings.map((f) => f.message).join(' ')).toMatch(names);
      // No address of the list in what the refusal says.
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

  it('keys nodemailer reads stay as they are: one "to", "cc", "bcc", "replyTo" each, headers of any case', async () => {
    const file = path.join(dir, 'ok.json');
    writeFileSync(file, `{"from": "news@corp.example", "to": "news@corp.example", "cc": "x@corp.example", "bcc": ${LIST}, "replyTo": "news@corp.example", "headers": {"X-Campaign": "1", "x-campaign-id": "2"}}`);
    const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
    expect(r.code).toBe(0);
  });
});

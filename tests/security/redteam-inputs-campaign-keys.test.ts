// Red team, campaign files: keys a sender and the check could read differently. Refused (exit 2,
// naming the key and its line), never a pass; the built CLI is run on real files and on stdin.
// - A key written twice in one JSON object (`{"to": [list], "to": "me@corp"}`): JSON.parse, and so
//   a nodemailer send script and the check, take the last value; other JSON readers take the first
//   or refuse the file.
// - A recipient key in another case or spelling (`"CC"`, `"Bcc"`, `"To"`, `"reply_to"`,
//   `"Headers"`): nodemailer's keys are case-sensitive, so it leaves such a field out and the check
//   passed the message, while a sender that reads keys loosely shows the list (and a "Bcc" the
//   author meant as blind is silently dropped).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCampaign } from '../../src/io/campaign.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-campaign-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = JSON.stringify(['a1@alpha.example', 'b1@beta.example', 'c1@gamma.example', 'd1@delta.example', 'e1@epsilon.example']);
const LIST_TEXT = JSON.stringify('a1@alpha.example, b1@beta.example, c1@gamma.example, d1@delta.example, e1@epsilon.example');

/** [name, file text, what the refusal names] */
type Refused = Array<[string, string, RegExp]>;

const WRITTEN_TWICE: Refused = [
  ['"to" twice, the list first', `{"from": "news@corp.example", "to": ${LIST}, "to": "news@corp.example"}`, /"to" is written twice/],
  ['"cc" twice in a message of messages', `{"messages": [{"from": "news@corp.example", "to": "news@corp.example", "cc": ${LIST_TEXT},\n "cc": null}]}`, /line 2.*"cc" is written twice/],
  ['"headers" twice', `[{"from": "news@corp.example", "headers": {"Cc": ${LIST_TEXT}}, "headers": {}, "to": "news@corp.example"}]`, /"headers" is written twice/],
  ['a header name twice in headers', `{"from": "news@corp.example", "to": "news@corp.example", "headers": {"X-Recipients": ${LIST_TEXT}, "X-Recipients": "none"}}`, /"X-Recipients" is written twice/],
  ['"defaults" twice', `{"defaults": {"cc": ${LIST}}, "defaults": {}, "messages": [{"from": "news@corp.example", "to": "news@corp.example"}]}`, /"defaults" is written twice/],
];

const ANOTHER_SPELLING: Refused = [
  ['"CC" beside "to"', `{"from": "news@corp.example", "to": "news@corp.example", "CC": ${LIST}}`, /CC.*"cc"/],
  ['"Bcc" (nodemailer drops it, the list is never blind)', `{"from": "news@corp.example", "to": ${LIST_TEXT}, "Bcc": "x@corp.example"}`, /Bcc.*"bcc"/],
  ['"To" in defaults', `{"defaults": {"To": ${LIST}}, "messages": [{"from": "news@corp.example", "to": "news@corp.example"}]}`, /defaults\.To.*"to"/],
  ['"reply_to" in a message of an array', `[{"from": "news@corp.example", "to": "news@corp.example", "reply_to": ${LIST}}]`, /reply_to.*"replyTo"/],
  ['"cc " with a trailing space', `{"from": "news@corp.example", "to": "news@corp.example", "cc ": ${LIST}}`, /"cc ".*"cc"/],
  ['" to" with a leading tab, in messages', `{"messages": [{"from": "news@corp.example", "\\tto": ${LIST}, "to": "news@corp.example"}]}`, /"\\tto".*"to"/],
  ['"Headers"', `{"from": "news@corp.example", "to": "news@corp.example", "Headers": {"Cc": ${LIST_TEXT}}}`, /Headers.*"headers"/],
];

function refusedEverywhere(title: string, refused: Refused): void {
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
  });
}

refusedEverywhere('a campaign key written twice is refused', WRITTEN_TWICE);
refusedEverywhere('a campaign recipient key in another case or spelling is refused', ANOTHER_SPELLING);

describe('keys written once, as nodemailer reads them, are read as before', () => {
  it('keys written once are read as before, the same name in another case included (headers)', async () => {
    const file = path.join(dir, 'ok-once.json');
    writeFileSync(file, `{"from": "news@corp.example", "to": "news@corp.example", "cc": "x@corp.example", "bcc": ${LIST}, "replyTo": "news@corp.example", "headers": {"X-Campaign": "1", "x-campaign": "2"}}`);
    const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
    expect(r.code).toBe(0);
  });

  it('keys nodemailer reads stay as they are: one "to", "cc", "bcc", "replyTo" each, headers of any case', async () => {
    const file = path.join(dir, 'ok-spelling.json');
    writeFileSync(file, `{"from": "news@corp.example", "to": "news@corp.example", "cc": "x@corp.example", "bcc": ${LIST}, "replyTo": "news@corp.example", "headers": {"X-Campaign": "1", "x-campaign-id": "2"}}`);
    const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
    expect(r.code).toBe(0);
  });
});

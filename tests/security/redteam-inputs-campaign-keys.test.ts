// Red team, campaign files: keys a sender and the check could read differently. Refused (exit 2,
// naming the key and its line), never a pass; the built CLI is run on real files and on stdin.
// - A key written twice in one JSON object (`{"to": [list], "to": "me@corp"}`): JSON.parse, and so
//   a nodemailer send script and the check, take the last value; other JSON readers take the first
//   or refuse the file.
// - A recipient key in another case or spelling (`"CC"`, `"Bcc"`, `"To"`, `"reply_to"`,
//   `"Headers"`): nodemailer's keys are case-sensitive, so it leaves such a field out and the check
//   passed the message, while a sender that reads keys loosely shows the list (and a "Bcc" the
//   author meant as blind is silently dropped).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { campaignDir, LIST, LIST_TEXT, refusedEverywhere, type Refused } from '../helpers/campaign-refusals.js';

const dir = campaignDir('mailguard-rt-campaign-keys-');

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

refusedEverywhere('a campaign key written twice is refused', WRITTEN_TWICE, dir);
refusedEverywhere('a campaign recipient key in another case or spelling is refused', ANOTHER_SPELLING, dir);

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

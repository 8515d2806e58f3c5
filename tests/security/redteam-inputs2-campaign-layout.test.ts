// Red team, campaign files: keys the file's layout leaves out. A `{ "defaults", "messages" }` file
// reads only those two keys at its top, and a message object reads nodemailer's keys: a recipient
// key beside "messages" (`{"messages": [...], "to": [list]}`) and "defaults" inside a message
// object (`{"to": me, "defaults": {"cc": [list]}}`) were left out by mailguard and nodemailer
// alike, so check passed the file (exit 0, or "0 messages checked" when "messages" was empty),
// while a send script that hands the file to sendMail as one message, or merges a message's own
// defaults, sends the list. Both are refused (exit 2, naming the key and its line); the built CLI
// is run on real files and on stdin.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { campaignDir, LIST, LIST_TEXT, refusedEverywhere, type Refused } from '../helpers/campaign-refusals.js';

const dir = campaignDir('mailguard-rt-campaign-layout-');

const ME = '"from": "news@corp.example", "to": "news@corp.example"';

const REFUSED: Refused = [
  ['"to" beside "messages"', `{"messages": [{${ME}}], "to": ${LIST}}`, /to \(line 1\): "to" beside "messages"/],
  ['"cc" beside "defaults" and "messages", on its own line', `{"defaults": {"from": "news@corp.example"},\n "messages": [{"to": "news@corp.example"}],\n "cc": ${LIST_TEXT}}`, /cc \(line 3\)/],
  ['"to" and "from" beside an empty "messages"', `{"messages": [], "from": "news@corp.example", "to": ${LIST}}`, /beside "messages"/],
  ['"headers" beside "messages"', `{"messages": [{${ME}}], "headers": {"Cc": ${LIST_TEXT}}}`, /headers .*beside "messages"/],
  ['"raw" beside "messages"', `{"messages": [{${ME}}], "raw": ${JSON.stringify(`From: news@corp.example\r\nTo: ${JSON.parse(LIST_TEXT) as string}\r\n\r\nhi\r\n`)}}`, /raw .*beside "messages"/],
  ['"Bcc" (another spelling) beside "messages"', `{"messages": [{${ME}}], "Bcc": ${LIST}}`, /Bcc .*beside "messages"/],
  ['"defaults" inside a message object', `{${ME}, "defaults": {"cc": ${LIST}}}`, /defaults \(line 1\): "defaults" inside a message object/],
  ['"defaults" inside a message of an array', `[{${ME}},\n {${ME}, "defaults": {"cc": ${LIST}}}]`, /\[1\]\.defaults \(line 2\)/],
  ['"defaults" inside a message of "messages"', `{"messages": [{${ME}, "defaults": {"to": ${LIST}}}]}`, /messages\[0\]\.defaults/],
];

refusedEverywhere("keys a campaign file's layout leaves out are refused", REFUSED, dir);

describe('campaign files laid out as documented are read as before', () => {
  it('defaults and messages, an array, one message: their keys read, other keys beside "messages" left alone', async () => {
    const texts = [
      `{"defaults": {"from": "news@corp.example", "cc": "x@corp.example"}, "messages": [{"to": "news@corp.example"}], "name": "spring offer", "$schema": "./campaign.schema.json"}`,
      `[{${ME}}, {${ME}, "bcc": ${LIST}}]`,
      `{${ME}, "subject": "offer", "text": "defaults and messages are words here"}`,
    ];
    for (const [n, text] of texts.entries()) {
      const file = path.join(dir, `ok-${n}.json`);
      writeFileSync(file, text);
      const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
      expect(r.code).toBe(0);
    }
  });

  it('a list in "defaults" of a { defaults, messages } file still blocks each message', async () => {
    const file = path.join(dir, 'defaults-list.json');
    writeFileSync(file, `{"defaults": {"from": "news@corp.example", "to": ${LIST}}, "messages": [{"subject": "a"}, {"subject": "b"}]}`);
    const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
    expect(r.code).toBe(1);
  });
});

// A file a directory walk finds that looks like a campaign or a message is read, or reported when
// it cannot be read; never counted as "not mail" while its list goes unchecked. JSON campaigns as
// people write them (a `//` or `/* */` comment first, comments between keys, trailing commas, a
// byte order mark, UTF-16 without one) were skipped by a walk although named directly they were
// reported; now they are read, the same way whether named or found. What looks like a campaign but
// is not JSON (JSON5's bare keys, a comment left open, several documents, a prefix before the
// object) and text that shows a recipient field after a first line that is not one fail closed.
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { isFailure, readInputs, type NotMailFile } from '../../src/io/inputs.js';
import { createPolicy } from '../../src/policy/policy.js';

const LIST = Array.from({ length: 6 }, (_, i) => `c${i}@org${i}.test`);
const policy = createPolicy({ internalDomains: ['corp.example'] });
const CLEAN = 'From: me@corp.example\r\nTo: boss@corp.example\r\nSubject: hi\r\n\r\nhello\r\n';
const utf16 = (text: string, order: 'le' | 'be', bom: boolean) => {
  const le = Buffer.from(`${bom ? '\ufeff' : ''}${text}`, 'utf16le');
  return order === 'le' ? le : le.swap16();
};
const JSONC = `// campaign for the spring offer
{
  "from": "me@corp.example", // the sender
  /* everyone who asked */
  "to": ${JSON.stringify(LIST)},
  "subject": "offer",
  "text": "see https://corp.example/*offer*/ // not a comment",
}
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-walk-looks-like-mail-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function verdictsOf(specs: string[]) {
  const skipped: NotMailFile[] = [];
  const verdicts: string[] = [];
  for await (const item of readInputs(specs, { headersOnly: false, skipped })) {
    if (isFailure(item)) verdicts.push('error');
    else verdicts.push(checkMessage(item.bytes, policy, { source: item.source }).verdict);
  }
  return { verdicts, skipped: skipped.map((s) => path.basename(s.path)) };
}

/** Walks a folder holding the file and a clean draft (so the folder is not "no mail" as a whole), and reads the file named. */
async function walkAndName(name: string, file: string, bytes: string | Buffer) {
  const sub = path.join(dir, name.replace(/\W+/g, '-'));
  await mkdir(sub, { recursive: true });
  await writeFile(path.join(sub, file), bytes);
  await writeFile(path.join(sub, 'zz-clean.eml'), CLEAN);
  const walked = await verdictsOf([sub]);
  const named = await verdictsOf([path.join(sub, file)]);
  return { walked, named };
}

describe('a walk reads a JSON campaign written as people write them, as it is read when named', () => {
  it.each([
    ['a // comment first', JSONC],
    ['a /* */ comment first', `/* spring offer\n   to everyone who asked */\n${JSON.stringify({ from: 'me@corp.example', to: LIST })}`],
    ['a byte order mark, then a comment', `\ufeff// offer\n${JSON.stringify({ from: 'me@corp.example', cc: LIST.join(', ') })}`],
    ['trailing commas only', `{"from": "me@corp.example", "to": [${LIST.map((a) => JSON.stringify(a)).join(', ')},],}`],
    ['an array of messages after comments', `// one\n// two\n[\n  {"from": "me@corp.example", "to": ${JSON.stringify(LIST)}}, // first\n]\n`],
    ['defaults and messages, comments inside', `{\n  // shared\n  "defaults": {"from": "me@corp.example",},\n  "messages": [ /* the list */ {"bcc": "me@corp.example", "cc": ${JSON.stringify(LIST)}} ]\n}`],
    ['UTF-16LE with a byte order mark and a comment', utf16(JSONC, 'le', true)],
    ['UTF-16LE without a byte order mark', utf16(JSON.stringify({ from: 'me@corp.example', to: LIST }), 'le', false)],
    ['UTF-16BE without a byte order mark', utf16(JSON.stringify([{ from: 'me@corp.example', to: LIST }]), 'be', false)],
    ['UTF-16LE without a byte order mark, a comment first', utf16(JSONC, 'le', false)],
  ])('%s', async (name, bytes) => {
    const { walked, named } = await walkAndName(name, 'campaign.json', bytes);
    expect(walked).toEqual({ verdicts: ['block', 'pass'], skipped: [] });
    expect(named.verdicts).toEqual(['block']);
  });
});

describe('a file a walk finds that looks like a campaign or mail but cannot be read is reported', () => {
  it.each([
    ['JSON5: bare keys', 'campaign.json5', `// offer\n{ from: 'me@corp.example', to: ${JSON.stringify(LIST)} }`],
    ['a block comment left open', 'campaign.json', `/* offer\n${JSON.stringify({ from: 'me@corp.example', to: LIST })}`],
    ['one message per line (NDJSON)', 'campaign.ndjson', LIST.map((a) => JSON.stringify({ from: 'me@corp.example', to: a, cc: LIST })).join('\n')],
    ['a prefix before the object', 'campaign.txt', `)]}'\n${JSON.stringify({ from: 'me@corp.example', to: LIST })}`],
    ['a draft behind a line of text', 'draft.txt', `Draft - do not send yet\r\nFrom: me@corp.example\r\nTo: ${LIST.join(', ')}\r\nSubject: offer\r\n\r\nhello\r\n`],
    ['a draft behind a line of text, in UTF-16LE without a byte order mark', 'draft.txt', utf16(`Draft\r\nTo: ${LIST.join(', ')}\r\n\r\nhello\r\n`, 'le', false)],
    ['a message in UTF-16LE without a byte order mark', 'message', utf16(`From: me@corp.example\r\nCc: ${LIST.join(', ')}\r\n\r\nhello\r\n`, 'le', false)],
    ['a message in UTF-16BE without a byte order mark', 'message', utf16(`To: ${LIST.join(', ')}\r\n\r\nhello\r\n`, 'be', false)],
  ])('%s', async (name, file, bytes) => {
    const { walked, named } = await walkAndName(name, file, bytes);
    expect(walked.skipped).toEqual([]);
    expect(walked.verdicts).toHaveLength(2);
    expect(['block', 'error']).toContain(walked.verdicts[0]);
    expect(['block', 'error']).toContain(named.verdicts[0]);
  });
});

describe('files that are not mail stay counted as not mail', () => {
  it.each([
    ['a tsconfig with comments', 'tsconfig.json', '// build\n{\n  "compilerOptions": { "strict": true, }, /* no emit */\n}\n'],
    ['a package.json', 'package.json', JSON.stringify({ name: 'app', description: 'mail to: anyone', version: '1.0.0' })],
    ['notes naming one contact', 'notes.txt', 'Meeting notes\nCall ann@corp.example about the offer.\n'],
    ['a recipient list as CSV', 'list.csv', `email\n${LIST.join('\n')}\n`],
    // Programs: mailguard does not run code, and a walk of a repository met every test and send
    // script that names recipients (named as not mail, never read as an unreadable message).
    ['a script holding a campaign', 'campaign.js', `const campaign = ${JSON.stringify({ from: 'me@corp.example', to: LIST }, null, 2)};\n`],
    ['a TypeScript test naming recipients', 'send.test.ts', `it('sends', () => send({ to: ['a@x.example', 'b@y.example'] }));\n`],
    ['a Python script with a message in a string', 'notify.py', `MSG = '''From: me@corp.example\nTo: ${LIST.join(', ')}\n\nhello\n'''\n`],
    ['a PHP mailer', 'mailer.php', `<?php\n$headers = 'To: ${LIST.join(', ')}';\n`],
  ])('%s', async (name, file, bytes) => {
    const { walked } = await walkAndName(name, file, bytes);
    expect(walked).toEqual({ verdicts: ['pass'], skipped: [file] });
  });
});

// Hidden files were passed over unread: a draft saved as `.offer.eml` or a campaign as
// `.campaign.json` went unchecked. Now a walk reads them; one that is not mail (.DS_Store,
// .gitkeep) or cannot be read (an editor's dangling lock link) is still passed over in silence.
describe('a walk reads hidden files that are mail, and passes over the others in silence', () => {
  const EXPOSED = `From: me@corp.example\r\nTo: ${LIST.join(', ')}\r\nSubject: offer\r\n\r\nhello\r\n`;
  it.each([
    ['a hidden draft', '.offer.eml', EXPOSED, ['block', 'pass']],
    ['a hidden extensionless draft', '.draft', EXPOSED, ['block', 'pass']],
    ['a hidden campaign with comments', '.campaign.json', JSONC, ['block', 'pass']],
    ['a hidden draft behind a line of text', '.draft.txt', `Draft\r\n${EXPOSED}`, ['block', 'pass']],
    ['.DS_Store', '.DS_Store', Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]), ['pass']],
    ['.gitkeep', '.gitkeep', '', ['pass']],
    ['.gitignore', '.gitignore', 'node_modules\n', ['pass']],
  ])('%s', async (name, file, bytes, verdicts) => {
    const sub = path.join(dir, `hidden-${name.replace(/\W+/g, '-')}`);
    await mkdir(sub, { recursive: true });
    await writeFile(path.join(sub, file), bytes);
    await writeFile(path.join(sub, 'zz-clean.eml'), CLEAN);
    expect(await verdictsOf([sub])).toEqual({ verdicts, skipped: [] });
  });

  it('an editor lock link that leads nowhere is passed over; a folder of hidden non-mail only is "no files", as before', async () => {
    const sub = path.join(dir, 'hidden-lock');
    await mkdir(sub, { recursive: true });
    await symlink('user@host.1234:1700000000', path.join(sub, '.#offer.eml'));
    await writeFile(path.join(sub, 'zz-clean.eml'), CLEAN);
    expect(await verdictsOf([sub])).toEqual({ verdicts: ['pass'], skipped: [] });
    const only = path.join(dir, 'hidden-only');
    await mkdir(only, { recursive: true });
    await writeFile(path.join(only, '.gitkeep'), '');
    const failures: string[] = [];
    for await (const item of readInputs([only], { headersOnly: false })) if (isFailure(item)) failures.push(item.failure.detail);
    expect(failures).toEqual(['no files in this directory']);
  });
});

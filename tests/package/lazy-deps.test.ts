// Libraries the core loads on first use (libmime, iconv-lite, entities) through createRequire: the
// built ESM and CommonJS entries both reach them. (A bare require() in an ESM module of dist/ throws
// "Dynamic require ... is not supported" only when the path runs: an HTML part with a character
// reference, an encoded word in UTF-7.)
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const SCRIPT = (load: string) => `${load}
const list = Array.from({ length: 12 }, (_, i) => 'p' + i + '&commat;o' + i + '.example').join('<br>');
const bytes = Buffer.from('From: a@corp.example\\r\\nTo: =?utf-7?q?x+AEA-y.example?= <b@corp.example>\\r\\nContent-Type: text/html\\r\\n\\r\\n' + list + '\\r\\n');
const r = checkMessage(bytes, createPolicy({ internalDomains: ['corp.example'] }), { body: { minAddresses: 10, maxPartBytes: 1048576 } });
console.log(JSON.stringify({ findings: r.findings.map((f) => f.code), shown: r.recipients.shown.map((s) => s.address) }));`;

describe('the built library loads its lazily required dependencies', () => {
  it.each([
    ['ESM', ['--input-type=module', '-e', SCRIPT(`import { checkMessage, createPolicy } from ${JSON.stringify(path.join(ROOT, 'dist/index.js'))};`)]],
    ['CommonJS', ['-e', SCRIPT(`const { checkMessage, createPolicy } = require(${JSON.stringify(path.join(ROOT, 'dist/index.cjs'))});`)]],
  ])('%s: an HTML list written with character references and a UTF-7 display name are read', (_name, args) => {
    const out = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })) as { findings: string[]; shown: string[] };
    expect(out.findings).toContain('ADDRESS_LIST_IN_BODY');
    expect(out.shown).toEqual(['x@y.example']);
  });
});

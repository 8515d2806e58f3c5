// The body scan never throws, whatever the parts hold: generated messages with HTML pieces
// (character references, tags, comments, scripts), base64 with padding anywhere, byte order marks,
// UTF-16/32 and UTF-7 labels, nested alternatives, vCard quoted-printable, Windows-style names.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy } from '../../src/index.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const text = fc.array(fc.constantFrom('a@x.example', '&#64;', '&#x40;', '&commat;', '&#0;', '&#xD800;', '&', '<span>', '</span>', '<br>', '<!--', '-->', '<script>', '</script>', '<style', '=40', '=', '==', '\u200b', '\u00ad', ' ', '\r\n', 'BEGIN:VCARD', 'EMAIL;ENCODING=QUOTED-PRINTABLE:', '+AEA-', '"', '\\', '@'), { maxLength: 30 }).map((p) => p.join(''));
const charset = fc.constantFrom('utf-8', 'utf-16', 'utf-16be', 'utf-32', 'utf-32le', 'ucs-4', 'utf-7', 'x-unknown', 'iso-8859-1');
const encoding = fc.constantFrom('7bit', 'base64', 'base64 (x)', 'quoted-printable', ' Base64;', 'x-uuencode');
const type = fc.constantFrom('text/plain', 'text/html', 'text/enriched', 'text/vcard', 'application/octet-stream');
const name = fc.constantFrom(undefined, 'l.csv ', 'l.csv.', 'c.vcf', 'x.txt', 'a.xlsx', '');

const body = (t: string, enc: string, bom: boolean) => {
  let bytes = Buffer.from(t, 'utf8');
  if (bom) bytes = Buffer.concat([Buffer.from([0xfe, 0xff]), bytes]);
  if (enc.toLowerCase().includes('base64')) {
    const b64 = bytes.toString('base64');
    const cut = Math.floor(b64.length / 2);
    return `${b64.slice(0, cut)}=\r\n${b64.slice(cut)}`;
  }
  return bytes.toString('latin1');
};

const part = fc.record({ type, charset, encoding, name, t: text, bom: fc.boolean() }).map((p) => `Content-Type: ${p.type}; charset=${p.charset}${p.name !== undefined ? `; name="${p.name}"` : ''}\r\nContent-Transfer-Encoding: ${p.encoding}\r\n\r\n${body(p.t, p.encoding, p.bom)}`);

const tree = fc.letrec<{ node: string; multi: string }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, part, tie('multi')),
  multi: fc.record({ kind: fc.constantFrom('alternative', 'mixed', 'related'), children: fc.array(tie('node'), { maxLength: 4 }), b: fc.constantFrom('b1', 'b2', 'b3') }).map((m) => `Content-Type: multipart/${m.kind}; boundary=${m.b}\r\n\r\n${m.children.map((c) => `--${m.b}\r\n${c}\r\n`).join('')}--${m.b}--`),
})).node;

describe('the body scan on generated messages', () => {
  it('never throws and always decides', () => {
    fc.assert(
      fc.property(tree, (entity) => {
        const r = checkMessage(Buffer.from(`From: me@corp.example\r\nTo: boss@corp.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n${entity}\r\n`, 'latin1'), policy, { source: 't', body: DEFAULT_BODY_SCAN });
        expect(['pass', 'warn', 'block', 'error']).toContain(r.verdict);
      }),
      { numRuns: 2000 },
    );
  });
});

// The body scan reads what a reader sees (found by an adversarial hunt, each a list of 20 external
// addresses that went unreported): a list pasted from Bcc, a list only in the HTML alternative,
// HTML that writes the "@" as a character reference or splits an address with tags, comments or
// invisible characters. And what it must not do: count one list twice because a message carries
// it as plain text and as HTML, or glue two addresses on two lines into a third.
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy, type Finding } from '../../src/index.js';
import { htmlText } from '../../src/body/html-text.js';
import { parseHeaderParams } from '../../src/body/mime.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const LIST = Array.from({ length: 20 }, (_, i) => `p${i}@org${i}.example`);

type BodyArgs = Extract<Finding, { code: 'ADDRESS_LIST_IN_BODY' }>['args'];

function bodyFindings(text: string): BodyArgs[] {
  const r = checkMessage(Buffer.from(text, 'utf8'), policy, { source: 't', body: DEFAULT_BODY_SCAN });
  return r.findings.flatMap((f) => (f.code === 'ADDRESS_LIST_IN_BODY' ? [f.args] : []));
}

const HEAD = 'From: me@corp.example\r\nTo: boss@corp.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n';
const single = (type: string, body: string, extra = '') => `${HEAD}${extra}Content-Type: ${type}; charset=utf-8\r\n\r\n${body}\r\n`;
const alternative = (plain: string, html: string) =>
  `${HEAD}Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${plain}\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n--b--\r\n`;

describe('a list pasted from Bcc', () => {
  it('in the body or a CSV attachment is reported: Bcc addresses are not shown by the header', () => {
    const bcc = `Bcc: ${LIST.join(', ')}\r\n`;
    expect(bodyFindings(single('text/plain', LIST.join('\r\n'), bcc)).map((f) => f.externalAddresses)).toEqual([20]);
    const csv = `${HEAD}${bcc}Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n--m\r\nContent-Type: text/csv; name=l.csv\r\nContent-Disposition: attachment; filename=l.csv\r\n\r\n${LIST.join('\r\n')}\r\n--m--\r\n`;
    expect(bodyFindings(csv).map((f) => [f.fileName, f.externalAddresses])).toEqual([['l.csv', 20]]);
  });

  it('an address the To field shows is still not counted again', () => {
    const to = `${HEAD.replace('To: boss@corp.example', `To: ${LIST.slice(0, 15).join(', ')}`)}Content-Type: text/plain\r\n\r\n${LIST.join('\r\n')}\r\n`;
    expect(bodyFindings(to)).toEqual([]);
  });
});

describe('alternatives: each rendering is read, a list counts once', () => {
  it('a list only in the HTML part (the plain part says "see below") is reported', () => {
    const f = bodyFindings(alternative('See below.', `<p>${LIST.join('<br>')}</p>`));
    expect(f.map((x) => [x.contentType, x.externalAddresses])).toEqual([['text/html', 20]]);
  });

  it('the same list in both parts is one finding of 20, not two', () => {
    const f = bodyFindings(alternative(LIST.join('\r\n'), `<ul>${LIST.map((a) => `<li>${a}</li>`).join('')}</ul>`));
    expect(f.map((x) => [x.part, x.externalAddresses])).toEqual([['1', 20]]);
  });

  it('half in each part: one finding with the union', () => {
    const f = bodyFindings(alternative(LIST.slice(0, 10).join('\r\n'), LIST.slice(10).join('<br>')));
    expect(f.map((x) => x.externalAddresses)).toEqual([20]);
  });

  it('HTML inside multipart/related inside the alternative counts with its plain part', () => {
    const text = `${HEAD}Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\n${LIST.slice(0, 5).join('\r\n')}\r\n--a\r\nContent-Type: multipart/related; boundary=r\r\n\r\n--r\r\nContent-Type: text/html\r\n\r\n${LIST.join('<br>')}\r\n--r--\r\n--a--\r\n`;
    expect(bodyFindings(text).map((x) => x.externalAddresses)).toEqual([20]);
  });
});

describe('HTML as a reader sees it', () => {
  const html = (write: (a: string) => string, sep = '<br>\r\n') => bodyFindings(single('text/html', `<p>${LIST.map(write).join(sep)}</p>`));
  const at = (f: (local: string, domain: string) => string) => (a: string) => {
    const [local, domain] = a.split('@') as [string, string];
    return f(local, domain);
  };
  it.each<[string, (a: string) => string]>([
    ['&#64;', at((l, d) => `${l}&#64;${d}`)],
    ['&#x40;', at((l, d) => `${l}&#x40;${d}`)],
    ['&commat;', at((l, d) => `${l}&commat;${d}`)],
    ['<span>@</span>', at((l, d) => `${l}<span>@</span>${d}`)],
    ['a comment inside', at((l, d) => `${l}<!-- x -->@${d}`)],
    ['&#46; for the dot', at((l, d) => `${l}@${d.replace('.', '&#46;')}`)],
    ['&shy; in the domain', at((l, d) => `${l}@${d.replace('.', '&shy;.')}`)],
    ['a zero-width space', at((l, d) => `${l}@\u200b${d}`)],
    ['<b> around the local part', at((l, d) => `<b>${l}</b>@${d}`)],
  ])('%s: 20 addresses', (_name, write) => {
    expect(html(write).map((f) => f.externalAddresses)).toEqual([20]);
  });

  it('block elements keep two addresses on two lines apart (no glued third)', () => {
    for (const sep of ['<br>', '</p><p>', '</td><td>', '<div>', '</li><li>']) {
      const f = html((a) => a, sep);
      expect(f.map((x) => x.externalAddresses)).toEqual([20]);
      expect(f[0]!.parties).toBe(20);
    }
  });

  it('a zero-width space in a plain text part is dropped too', () => {
    expect(bodyFindings(single('text/plain', LIST.map((a) => a.replace('@', '@\u200b')).join('\r\n'))).map((f) => f.externalAddresses)).toEqual([20]);
  });

  it('mailto: links are still read from the markup', () => {
    expect(html((a) => `<a href="mailto:${a}">write to us</a>`).map((f) => f.externalAddresses)).toEqual([20]);
  });

  it.each<[string, string]>([
    ['an image\'s alt text (shown where images are blocked), &#64;', `<img src="cid:x" alt="${LIST.map((a) => a.replace('@', '&#64;')).join(', ')}">`],
    ['a title (shown on hover), &#x40; without ";"', `<span title="${LIST.map((a) => a.replace('@', '&#x40')).join('; ')}">the team</span>`],
    ['one mailto: link to all, &commat;', `<a href="mailto:${LIST.map((a) => a.replace('@', '&commat;')).join(',')}">reply to all</a>`],
    ['mailto: links percent-encoded as encodeURIComponent writes them', LIST.map((a) => `<a href="mailto:${encodeURIComponent(a)}">write</a>`).join('<br>')],
    ['one percent-encoded mailto: with cc and bcc', `<a href="mailto:${encodeURIComponent(LIST.slice(0, 5).join(','))}?cc=${encodeURIComponent(LIST.slice(5, 12).join(','))}&amp;bcc=${LIST.slice(12).map((a) => a.replace('@', '%40')).join('%2C')}">all</a>`],
  ])('addresses in attributes with the "@" written otherwise: %s', (_name, markup) => {
    expect(bodyFindings(single('text/html', markup)).map((f) => f.externalAddresses)).toEqual([20]);
  });

  it('a plain text mailto: link percent-encoded is read as its mail program opens it', () => {
    expect(bodyFindings(single('text/plain', LIST.map((a) => `<mailto:${a.replace('@', '%40')}>`).join('\r\n'))).map((f) => f.externalAddresses)).toEqual([20]);
  });

  it('a percent-encoded "@" outside a mailto: link (a tracking link) is not an address', () => {
    expect(bodyFindings(single('text/html', LIST.map((a) => `<a href="https://t.example/c?u=${encodeURIComponent(a)}">news</a>`).join('<br>')))).toEqual([]);
  });

  it('what no reader sees (script, style, title) is dropped; an unclosed script hides the rest', () => {
    expect(htmlText('<title>a@x.test</title><style>p{}</style>b&#64;y.test<script>c@z.test</script>')).toBe('  b@y.test ');
    expect(htmlText('ok <SCRIPT type=x>a@x.test')).toBe('ok  ');
    expect(htmlText('a&amp;b &lt;c&gt; &unknown; &#0; &#xD800; &#128512;')).toBe('a&b <c> &unknown; \ufffd \ufffd \u{1f600}');
  });

  it('hostile markup (100,000 unclosed tags, scripts, comments) is read in linear time', () => {
    for (const unit of ['<a', '<script', '<!--', '<br', '&#', '<p x="<a>']) {
      const input = unit.repeat(100_000);
      const t0 = performance.now();
      htmlText(input);
      expect(performance.now() - t0).toBeLessThan(2000);
    }
  });
});

describe('parts the scan does not reach are reported, not taken as clean', () => {
  const notScanned = (text: string) =>
    checkMessage(Buffer.from(text, 'utf8'), policy, { source: 't', body: DEFAULT_BODY_SCAN }).findings.flatMap((f) => (f.code === 'ATTACHMENT_NOT_SCANNED' ? [`${f.args.part} ${f.args.contentType} ${f.args.reason}`] : []));
  const nested = (levels: number, inner: string) => {
    let body = inner;
    for (let i = levels; i > 0; i--) body = `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n${body}\r\n--b${i}--\r\n`;
    return `${HEAD}${body}`;
  };
  const list = `Content-Type: text/plain\r\n\r\n${LIST.join('\r\n')}`;

  it('multiparts nested past 8 levels', () => {
    expect(notScanned(nested(9, list))).toEqual(['1.1.1.1.1.1.1.1 multipart/mixed too-deep']);
    expect(notScanned(nested(7, list))).toEqual([]);
  });

  it('a forwarded message at the depth limit', () => {
    expect(notScanned(nested(8, `Content-Type: message/rfc822\r\n\r\nFrom: a@x.example\r\nTo: ${LIST.join(', ')}\r\n\r\nhi`))).toEqual(['1.1.1.1.1.1.1.1 message/rfc822 too-deep']);
  });

  it('parts past the 256th: one finding for the gap', () => {
    const parts = Array.from({ length: 300 }, (_, i) => `--m\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('');
    expect(notScanned(`${HEAD}Content-Type: multipart/mixed; boundary=m\r\n\r\n${parts}--m--\r\n`)).toEqual(['256 text/plain too-many-parts']);
  });

  it('a multipart without a boundary', () => {
    expect(notScanned(`${HEAD}Content-Type: multipart/mixed\r\n\r\n${LIST.join('\r\n')}\r\n`)).toEqual(['1 multipart/mixed unreadable']);
  });
});

describe('encodings readers decode', () => {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  it.each<[string, string]>([
    ['base64 with a comment in its Content-Transfer-Encoding', single('text/plain', b64(LIST.join('\r\n')), 'Content-Transfer-Encoding: base64 (the list)\r\n')],
    ['"Base64;" in odd case with a semicolon', single('text/plain', b64(LIST.join('\r\n')), 'Content-Transfer-Encoding:  Base64;\r\n')],
    ['base64 padded after its first line (Node stops at the first "=")', single('text/plain', `${b64('Hi.')}\r\n${b64(LIST.join('\r\n'))}`, 'Content-Transfer-Encoding: base64\r\n')],
    ['a vCard 2.1 with quoted-printable EMAIL lines', `${HEAD}Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nContacts.\r\n--m\r\nContent-Type: text/vcard; name=c.vcf\r\nContent-Disposition: attachment; filename=c.vcf\r\n\r\n${LIST.map((a) => `BEGIN:VCARD\r\nVERSION:2.1\r\nEMAIL;ENCODING=QUOTED-PRINTABLE:${a.replace('@', '=40')}\r\nEND:VCARD`).join('\r\n')}\r\n--m--\r\n`],
    ['text/enriched', single('text/enriched', LIST.join('\r\n'))],
    ['quoted-printable soft line breaks padded with white space, inside each domain', single('text/plain', LIST.map((a) => a.replace('@org', '@org=  \r\n')).join('\r\n'), 'Content-Transfer-Encoding: quoted-printable\r\n')],
    ['the same after each "@", with a tab, in HTML', single('text/html', LIST.map((a) => a.replace('@', '@=\t\r\n')).join('<br>'), 'Content-Transfer-Encoding: quoted-printable\r\n')],
    // RFC 822's tokens may have white space between them; mailparser splits such a multipart and shows its text.
    ['a multipart type written "multipart /mixed"', `${HEAD}Content-Type: multipart /mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(LIST.join('\r\n'))}\r\n--m--\r\n`],
    ['"multipart\t/\tAlternative"', `${HEAD}Content-Type: multipart\t/\tAlternative; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(LIST.join('\r\n'))}\r\n--m--\r\n`],
    ['a UTF-16 part typed "text / plain"', `${HEAD}Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text / plain; charset=utf-16\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(`\ufeff${LIST.join('\r\n')}`, 'utf16le').toString('base64')}\r\n--m--\r\n`],
  ])('%s', (_name, text) => {
    expect(bodyFindings(text).map((f) => f.externalAddresses)).toEqual([20]);
  });

  // A Content-Transfer-Encoding with more than its name: Python's email package decodes only the
  // name alone and shows the text as written (mailparser decodes some of them): both are read.
  it.each(['base64 x', 'base64 (the list)', 'Base64;', 'x-uuencode x'])('a plain-text list under "Content-Transfer-Encoding: %s"', (cte) => {
    expect(bodyFindings(single('text/plain', LIST.join('\r\n'), `Content-Transfer-Encoding: ${cte}\r\n`)).map((f) => f.externalAddresses)).toEqual([20]);
  });

  it.each<[string, string, Buffer]>([
    ['UTF-16 big-endian with its mark, labelled utf-16', 'utf-16', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(LIST.join('\r\n'), 'utf16le').swap16()])],
    ['UTF-16 big-endian with its mark, labelled utf-8', 'utf-8', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(LIST.join('\r\n'), 'utf16le').swap16()])],
    ['UTF-32 (big-endian, no mark)', 'utf-32', Buffer.from(LIST.join('\r\n').split('').flatMap((c) => [0, 0, 0, c.charCodeAt(0)]))],
    ['UTF-32LE with its mark', 'utf-32', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from(LIST.join('\r\n').split('').flatMap((c) => [c.charCodeAt(0), 0, 0, 0]))])],
  ])('%s', (_name, charset, bytes) => {
    const text = Buffer.concat([Buffer.from(`${HEAD}Content-Type: text/plain; charset=${charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n`), Buffer.from(bytes.toString('base64')), Buffer.from('\r\n')]);
    const r = checkMessage(text, policy, { source: 't', body: DEFAULT_BODY_SCAN });
    expect(r.findings.flatMap((f) => (f.code === 'ADDRESS_LIST_IN_BODY' ? [f.args.externalAddresses] : []))).toEqual([20]);
  });
});

describe('format=flowed; delsp=yes: lines broken inside an address (RFC 3676 readers join them)', () => {
  const flowed = (params: string, body: string) => bodyFindings(single(`text/plain; format=flowed${params}`, body)).map((f) => f.externalAddresses);
  it.each<[string, string]>([
    ['broken after each "@", joined with ";" as Outlook writes a list', LIST.map((a) => a.replace('@', '@ \r\n')).join(';')],
    ['broken inside each domain, one per line', LIST.map((a) => a.replace('@org', '@org \r\n')).join('\r\n')],
    ['broken before each "@"', LIST.map((a) => a.replace('@', ' \r\n@')).join(', ')],
    ['in a quoted reply, at its quote depth', LIST.map((a) => `> ${a.replace('@', '@ \r\n> ')}`).join('\r\n')],
  ])('%s', (_name, body) => {
    expect(flowed('; delsp=yes', body)).toEqual([20]);
    expect(flowed('; DelSp="Yes"', body)).toEqual([20]);
  });

  it('without delsp=yes the space stays, and the lines as written are still read', () => {
    expect(flowed('', LIST.map((a) => a.replace('@', '@ \r\n')).join(';'))).toEqual([]);
    expect(flowed('; delsp=yes', LIST.join(',  \r\n'))).toEqual([20]);
  });
});

describe('file names as Windows saves them', () => {
  it.each(['l.csv ', 'l.csv.', 'l.CSV . '])('an attachment named %j is read as a CSV', (name) => {
    const text = `${HEAD}Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n--m\r\nContent-Type: application/octet-stream; name="${name}"\r\nContent-Disposition: attachment; filename="${name}"\r\n\r\n${LIST.join('\r\n')}\r\n--m--\r\n`;
    expect(bodyFindings(text).map((f) => [f.fileName, f.externalAddresses])).toEqual([[name, 20]]);
  });
});

describe("a list written in an attachment's name (every client shows the name beside the message)", () => {
  const attached = (partHeader: string, outer = HEAD) =>
    `${outer}Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n--m\r\n${partHeader}\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--m--\r\n`;
  const named = `${LIST.join(', ')}.pdf`;
  const percent = encodeURIComponent(named);
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  it.each<[string, string]>([
    ['a quoted filename', attached(`Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="${named}"`)],
    ['an RFC 2231 filename*', attached(`Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''${percent}`)],
    ['RFC 2231 continuations (filename*0*, filename*1* ...)', attached(`Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n${named.match(/.{1,40}/g)!.map((c, i) => ` filename*${i}*=${i === 0 ? "utf-8''" : ''}${encodeURIComponent(c)}`).join(';\r\n')}`)],
    ['an encoded word in the Content-Type name', attached(`Content-Type: application/pdf; name="=?utf-8?B?${b64(named)}?="`)],
    ['the Content-Type name beside a harmless Content-Disposition filename', attached(`Content-Type: application/pdf; name="${named}"\r\nContent-Disposition: attachment; filename="report.pdf"`)],
    ['the name of a message that is one attachment', `${HEAD}Content-Type: application/pdf; name="${named}"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n`],
    ['an attachment of a forwarded message', attached(`Content-Type: message/rfc822\r\n\r\n${attached(`Content-Type: application/pdf; name="${named}"`, 'From: a@corp.example\r\nTo: b@corp.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n').replace(/\r\n$/, '')}`).replace('Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--m--', '--m--')],
  ])('%s', (_name, text) => {
    expect(bodyFindings(text).map((f) => f.externalAddresses)).toEqual([20]);
  });

  it('a name with an address or two is a name', () => {
    expect(bodyFindings(attached(`Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="${LIST.slice(0, 2).join(' and ')}.pdf"`))).toEqual([]);
  });
});

describe('a field written with white space before its colon ends the header for Python', () => {
  // Python's email package reads a header line as a field only if its name runs up to the colon
  // ("Content-Type : image/png" is not one): the part's header ends there and the rest is its text.
  const list = LIST.join('\r\n');
  it.each<[string, string]>([
    ['in a part', `${HEAD}Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n--m\r\nContent-Type : image/png\r\n\r\n${list}\r\n--m--\r\n`],
    ['in the message header', `From: me@corp.example\r\nTo: boss@corp.example\r\nSubject: s\r\nMIME-Version : 1.0\r\nContent-Type: image/png\r\n\r\n${list}\r\n`],
    ['in a forwarded message', `${HEAD}Content-Type: message/rfc822\r\n\r\nFrom: a@corp.example\r\nSubject : s\r\nContent-Type: image/png\r\n\r\n${list}\r\n`],
    // The fields after that line are text to Python, a Content-Transfer-Encoding among them too.
    ['before the list in a field, and a Content-Transfer-Encoding after it', `${HEAD}Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n--m\r\nContent-Type : image/png\r\nRecipients: ${LIST.join(', ')}\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--m--\r\n`],
  ])('%s', (_name, text) => {
    expect(bodyFindings(text).map((f) => f.externalAddresses)).toEqual([20]);
  });
});

describe('a parameter readers read differently: every reading is scanned', () => {
  // Python's email package takes a plain parameter before its RFC 2231 form, and it and Thunderbird
  // join continuations only up to a missing number; mailparser reads a plain charset before an
  // extended one. The list is where one of them looks.
  const b64 = Buffer.from(LIST.join('\r\n'), 'utf8').toString('base64');
  const split = (params: string, shown: string, other: string) =>
    `${HEAD}Content-Type: multipart/mixed; ${params}\r\n\r\n--${other}\r\nContent-Type: text/plain\r\n\r\nHello.\r\n--${other}--\r\n--${shown}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--${shown}--\r\n`;
  it.each<[string, string]>([
    ['a plain boundary beside boundary*', split(`boundary="A"; boundary*=''B`, 'A', 'B')],
    ['a plain boundary beside boundary*0', split('boundary="A"; boundary*0=B', 'A', 'B')],
    ['boundary*0 and boundary*2 without boundary*1', `${HEAD}Content-Type: multipart/mixed; boundary*0=A; boundary*2=C\r\n\r\n--AC\r\nContent-Type: text/plain\r\n\r\nHello.\r\n--A\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--A--\r\n--AC--\r\n`],
    // A value with more after its first word or quoted string: Python's email package (and, for a
    // quoted one, Thunderbird) read the word or the quoted string alone.
    ['an unquoted boundary with a space in it', split('boundary=A B', 'A', 'A B')],
    ['a quoted boundary with more after its closing quote', split('boundary="A"B', 'A', 'A"B')],
    ['an unquoted boundary with a quoted string after it', split('boundary=A"B"', 'A', 'A"B"')],
    ['a plain filename beside filename* (Python shows the plain one)', `${HEAD}Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="${LIST.join(', ')}.pdf"; filename*=''report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--m--\r\n`],
    ['a plain charset beside charset*', `${HEAD}Content-Type: text/plain; charset=utf-16le; charset*=''utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(LIST.join('\r\n'), 'utf16le').toString('base64')}\r\n`],
  ])('%s', (_name, text) => {
    expect(bodyFindings(text).map((f) => f.externalAddresses)).toEqual([20]);
  });

  it('the parameter readers agree on is read once', () => {
    expect(parseHeaderParams(`multipart/mixed; boundary*0=A; boundary*1=B`).otherReadings).toBeUndefined();
    expect(parseHeaderParams(`multipart/mixed; boundary="A"; boundary*=''A`).otherReadings).toBeUndefined();
    expect(Object.fromEntries(parseHeaderParams(`multipart/mixed; boundary="A"; boundary*0=B; boundary*2=C`).otherReadings ?? [])).toEqual({ boundary: ['A', 'B'] });
  });
});

describe('a header line written in the text is text unless it holds message identifiers', () => {
  // Lines such as "References: <id@host>" in a quoted thread name messages, not people, and are
  // skipped; a line shaped like one but listing addresses is shown to every reader as the list.
  it.each<[string, string]>([
    ['"X-Attendees:" then the list', `Hi all, the list:\r\nX-Attendees: ${LIST.join(', ')}`],
    ['"References:" then the list, with semicolons', `References: ${LIST.join('; ')}`],
    ['"Message-ID:" then names and addresses', `Message-ID: ${LIST.map((a, i) => `P${i} <${a}>`).join(', ')}`],
  ])('%s', (_name, body) => {
    expect(bodyFindings(single('text/plain', body)).map((f) => f.externalAddresses)).toEqual([20]);
  });

  it('identifiers quoted from a header stay unread', () => {
    const ids = LIST.map((a) => `<${a.replace('@', '.1234@')}>`);
    const body = `> Message-ID: ${ids[0]}\r\n> References: ${ids.join(' ')}\r\n> X-Google-Original-Message-ID: ${ids[1]}\r\n> In-Reply-To:\r\n>  ${ids[2]}\r\n> X-Ref: ${LIST[3]}`;
    expect(bodyFindings(single('text/plain', body))).toEqual([]);
  });
});

describe('a forwarded message under a Content-Transfer-Encoding it does not use', () => {
  // RFC 2046 allows only 7bit, 8bit and binary on message/rfc822: Python's email package parses the
  // body as the message whatever the field says, and shows its recipients.
  it.each(['base64', 'Base64 (attached)', 'x-uuencode'])('"Content-Transfer-Encoding: %s" over a message written as it is', (cte) => {
    const text = `${HEAD}Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n--m\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: ${cte}\r\n\r\nFrom: x@corp.example\r\nTo: ${LIST.join(', ')}\r\nSubject: old\r\n\r\nHello.\r\n--m--\r\n`;
    expect(bodyFindings(text).map((f) => f.externalAddresses)).toEqual([20]);
  });
});

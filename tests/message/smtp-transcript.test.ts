// SMTP transcripts as clients really write them: AUTH exchanges, BDAT, replies interleaved.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { looksLikeSmtpTranscript, parseSmtpTranscript } from '../../src/message/smtp-transcript.js';

const MESSAGE = ['DATA', 'From: a@corp.example', 'To: b@corp.example', 'Subject: t', '', 'hi', '.'];
const ENVELOPE = ['MAIL FROM:<a@corp.example>', 'RCPT TO:<b@corp.example>'];
const parse = (lines: string[]) => parseSmtpTranscript(Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1'));

describe('AUTH exchanges are read, not refused', () => {
  it.each([
    ['AUTH LOGIN, two base64 lines', ['AUTH LOGIN', 'dXNlcg==', 'cGFzcw==']],
    ['AUTH LOGIN with the user as initial response', ['AUTH LOGIN dXNlcg==', 'cGFzcw==']],
    ['AUTH PLAIN, one line', ['AUTH PLAIN', 'AHVzZXIAcGFzcw==']],
    ['AUTH PLAIN with initial response', ['AUTH PLAIN AHVzZXIAcGFzcw==']],
    ['AUTH CRAM-MD5', ['AUTH CRAM-MD5', 'dXNlciA5YjkxZjM1ZmE0ZGVhZjU1ZTM0ZTFlOTdmYjk2ZWIyMQ==']],
    ['AUTH XOAUTH2 with a token', ['AUTH XOAUTH2 dXNlcj1hQGIBYXV0aD1CZWFyZXIgeHl6AQE=']],
    ['AUTH LOGIN with server replies', ['AUTH LOGIN', '334 VXNlcm5hbWU6', 'dXNlcg==', '334 UGFzc3dvcmQ6', 'cGFzcw==', '235 2.7.0 Authentication successful']],
    ['AUTH LOGIN refused after the user (reply ends it)', ['AUTH LOGIN', '334 VXNlcm5hbWU6', 'dXNlcg==', '535 5.7.8 no', 'AUTH PLAIN AHVzZXIAcGFzcw==', '235 ok']],
    ['AUTH LOGIN cancelled with *', ['AUTH LOGIN', '*', 'AUTH PLAIN AHVzZXIAcGFzcw==']],
    ['an unknown mechanism with two base64 lines', ['AUTH SCRAM-SHA-256', 'biwsbj11c2VyLHI9cm9t', 'Yz1iaXdzLHI9cm9t']],
  ])('%s', (_name, auth) => {
    const t = parse(['EHLO client.example', ...auth, ...ENVELOPE, ...MESSAGE, 'QUIT']);
    expect(t.problems).toEqual([]);
    expect(t.transactions).toHaveLength(1);
    expect(t.transactions[0]!.envelope).toEqual({ mailFrom: 'a@corp.example', rcptTo: ['b@corp.example'] });
  });

  it('a command right after AUTH LOGIN (no continuation given) is read as a command, even a bare DATA or QUIT', () => {
    const t = parse(['EHLO c', 'AUTH LOGIN', ...ENVELOPE, ...MESSAGE, 'QUIT']);
    expect(t.problems).toEqual([]);
    expect(t.transactions).toHaveLength(1);
  });

  it('a line that is neither a command nor a continuation is still a problem', () => {
    const t = parse(['EHLO c', 'AUTH PLAIN AHVzZXIAcGFzcw==', 'hello there', ...ENVELOPE, ...MESSAGE]);
    expect(t.problems.map((p) => p.line)).toEqual([3]);
  });
});

describe('other commands clients send', () => {
  it.each(['ETRN example.com', 'HELP', 'NOOP', 'RSET', 'VRFY postmaster', 'XCLIENT ADDR=1.2.3.4', 'STARTTLS'])('%s is read, not refused', (command) => {
    const t = parse(['EHLO c', command, ...ENVELOPE, ...MESSAGE]);
    expect(t.problems).toEqual([]);
    expect(t.transactions).toHaveLength(1);
  });

  it('BDAT chunks (CHUNKING) make one message, byte for byte, with the envelope', () => {
    const part1 = 'From: a@corp.example\r\nTo: b@corp.example\r\n';
    const part2 = 'Subject: t\r\n\r\n.hi\r\n';
    const text = ['EHLO c', ...ENVELOPE, `BDAT ${part1.length}`].join('\r\n') + '\r\n' + part1 + `BDAT ${part2.length} LAST\r\n` + part2 + 'QUIT\r\n';
    const t = parseSmtpTranscript(Buffer.from(text, 'latin1'));
    expect(t.problems).toEqual([]);
    expect(t.transactions).toHaveLength(1);
    // No dot-unstuffing in BDAT: ".hi" stays.
    expect(Buffer.from(t.transactions[0]!.data).toString('latin1')).toBe(part1 + part2);
    expect(t.transactions[0]!.envelope.rcptTo).toEqual(['b@corp.example']);
  });

  it.each([
    ['in the middle of a line', 25],
    ['between the CR and the LF of a line end', 21],
    ['right after a field name', 5],
    ['one byte in', 1],
  ])('BDAT chunks cut anywhere (%s), as real CHUNKING clients send them: the message byte for byte', (_name, cut) => {
    const message = 'From: a@corp.example\r\nTo: b@corp.example, c0@org0.test, c1@org1.test\r\nSubject: t\r\n\r\n.hi\r\n';
    const parts = [message.slice(0, cut), message.slice(cut, cut + 30), message.slice(cut + 30)];
    const text = `EHLO c\r\n${ENVELOPE.join('\r\n')}\r\nBDAT ${parts[0]!.length}\r\n${parts[0]}BDAT ${parts[1]!.length}\r\n250 2.0.0 ok\r\n`.replace('250 2.0.0 ok\r\n', `${parts[1]}250 2.0.0 ok\r\nBDAT ${parts[2]!.length} LAST\r\n${parts[2]}QUIT\r\n`);
    const t = parseSmtpTranscript(Buffer.from(text, 'latin1'));
    expect(t.problems).toEqual([]);
    expect(t.transactions).toHaveLength(1);
    expect(Buffer.from(t.transactions[0]!.data).toString('latin1')).toBe(message);
  });

  it('a BDAT chunk that ends mid-line before something that is no command is a problem', () => {
    const text = ['EHLO c', ...ENVELOPE, 'BDAT 5 LAST', 'From: a@corp.example', 'QUIT'].join('\r\n') + '\r\n';
    const t = parseSmtpTranscript(Buffer.from(text, 'latin1'));
    expect(t.problems.map((p) => p.problem)).toEqual(['BDAT chunk does not end where a line starts, or runs past the end of the transcript']);
  });

  it.each([
    ['the end of the transcript', ''],
    ['QUIT', 'QUIT\r\n'],
    ['a new MAIL FROM', 'MAIL FROM:<a@corp.example>\r\nRCPT TO:<b@corp.example>\r\nDATA\r\nFrom: a@corp.example\r\nTo: b@corp.example\r\n\r\nhi\r\n.\r\n'],
  ])('BDAT chunks never ended by a LAST chunk (then %s) are a problem, not a message dropped in silence', (_name, after) => {
    const clean = [...ENVELOPE, ...MESSAGE].join('\r\n') + '\r\n';
    const chunk = 'From: a@corp.example\r\nTo: c0@org0.test, c1@org1.test\r\n\r\nhi\r\n';
    const text = `EHLO c\r\n${clean}${ENVELOPE.join('\r\n')}\r\nBDAT ${chunk.length}\r\n${chunk}${after}`;
    const t = parseSmtpTranscript(Buffer.from(text, 'latin1'));
    expect(t.problems).toEqual([{ line: 13, problem: 'BDAT chunks without a LAST chunk: the message is incomplete' }]);
    expect(t.transactions.length).toBeGreaterThanOrEqual(1);
  });

  it('RSET after a BDAT chunk abandons the message: no problem', () => {
    const chunk = 'From: a@corp.example\r\n';
    const text = `EHLO c\r\n${ENVELOPE.join('\r\n')}\r\nBDAT ${chunk.length}\r\n${chunk}RSET\r\n${[...ENVELOPE, ...MESSAGE].join('\r\n')}\r\nQUIT\r\n`;
    const t = parseSmtpTranscript(Buffer.from(text, 'latin1'));
    expect(t.problems).toEqual([]);
    expect(t.transactions).toHaveLength(1);
  });

  it('a BDAT size that does not match the bytes is a problem, not a guess', () => {
    const text = ['EHLO c', ...ENVELOPE, 'BDAT 5 LAST', 'From: a@corp.example', 'QUIT'].join('\r\n') + '\r\n';
    const t = parseSmtpTranscript(Buffer.from(text, 'latin1'));
    expect(t.problems).toHaveLength(1);
    expect(t.transactions).toHaveLength(0);
  });
});

describe('server replies interleaved around DATA and a banner of several lines', () => {
  it.each([
    ['"354 go ahead"', ['354 go ahead']],
    ['a 354 of two lines', ['354-Start mail input', '354 end with <CRLF>.<CRLF>']],
    ['a bare "354"', ['354']],
  ])('%s after DATA is not the message\'s first line; line numbers stay the file\'s', (_name, reply) => {
    const t = parse(['EHLO c', '250 ok', ...ENVELOPE, 'DATA', ...reply, ...MESSAGE.slice(1), '250 queued', 'QUIT']);
    expect(t.problems).toEqual([]);
    expect(Buffer.from(t.transactions[0]!.data).toString('latin1').startsWith('From: a@corp.example\r\n')).toBe(true);
    expect(t.transactions[0]!.lineOffset).toBe(5 + reply.length);
  });

  it('a transcript starting with a banner of several 220 lines is recognised as one', async () => {
    const { looksLikeTranscript } = await import('../../src/io/formats/transcript.js');
    expect(looksLikeTranscript(Buffer.from('220-mx.example ESMTP\r\n220-no UCE\r\n220 mx.example\r\nEHLO c\r\n'))).toBe(true);
    expect(looksLikeTranscript(Buffer.from('220 mx.example\r\nEHLO c\r\n'))).toBe(true);
    expect(looksLikeTranscript(Buffer.from('From: a@corp.example\r\nTo: b@corp.example\r\n\r\n'))).toBe(false);
  });
});

describe('a DATA the server refused has no data', () => {
  const EXPOSED = ['From: a@corp.example', 'To: c0@org0.test, c1@org1.test, c2@org2.test', '', 'hi', '.'];
  const refusedThenRetried = (server: (l: string) => string, client: (l: string) => string) => [
    server('220 mx.example'),
    client('EHLO c'),
    server('250 mx.example'),
    client('MAIL FROM:<a@corp.example>'),
    server('250 ok'),
    client('RCPT TO:<nobody@corp.example>'),
    server('550 5.1.1 no such user'),
    client('DATA'),
    server('554 5.5.1 Error: no valid recipients'),
    client('RSET'),
    server('250 ok'),
    client('MAIL FROM:<a@corp.example>'),
    client('RCPT TO:<c0@org0.test>'),
    client('DATA'),
    server('250 ok'),
    server('250 ok'),
    server('354 go ahead'),
    ...EXPOSED.map(client),
    server('250 queued'),
    client('QUIT'),
  ];
  it.each([
    ['plain', (l: string) => l, (l: string) => l],
    ['"C: "/"S: "', (l: string) => `S: ${l}`, (l: string) => (l === '' ? 'C:' : `C: ${l}`)],
    ['swaks, its error replies written "<** "', (l: string) => (/^[45]/.test(l) ? `<** ${l}` : `<-  ${l}`), (l: string) => ` -> ${l}`],
  ])('%s: the next transaction is read as its own message, not as the refused one\'s data', (_name, server, client) => {
    const t = parse(refusedThenRetried(server, client));
    expect(t.problems).toEqual([]);
    expect(t.transactions).toHaveLength(1);
    expect(t.transactions[0]!.envelope).toEqual({ mailFrom: 'a@corp.example', rcptTo: ['c0@org0.test'] });
    expect(Buffer.from(t.transactions[0]!.data).toString('latin1')).toBe(`${EXPOSED.slice(0, -1).join('\r\n')}\r\n`);
    expect(t.transactions[0]!.lineOffset).toBe(17);
  });

  it('a 354 among the pipelined replies (a recipient refused, another accepted) still starts the data', () => {
    const t = parse(['EHLO c', 'MAIL FROM:<a@corp.example>', 'RCPT TO:<x@corp.example>', 'RCPT TO:<c0@org0.test>', 'DATA', '250 ok', '550 no such user', '250 ok', '354 go ahead', ...EXPOSED, 'QUIT']);
    expect(t.problems).toEqual([]);
    expect(t.transactions).toHaveLength(1);
    expect(t.transactions[0]!.lineOffset).toBe(9);
  });

  it('a refused DATA with nothing after it is no transaction and no problem beyond that', () => {
    const t = parse(['EHLO c', 'MAIL FROM:<a@corp.example>', 'RCPT TO:<x@corp.example>', '550 no', 'DATA', '554 no valid recipients', 'QUIT', '221 bye']);
    expect(t.problems).toEqual([]);
    expect(t.transactions).toHaveLength(0);
  });
});

describe('SMTP smuggling in a transcript', () => {
  it.each([
    ['<CR>.<CR> then a second transaction', 'hi\r.\rMAIL FROM:<me@corp.example>\rRCPT TO:<u0@org0.test>\rDATA\rTo: u0@org0.test\r\rx\r.\r'],
    ['a lone bare CR inside a body line', 'one\rtwo'],
  ])('a bare CR inside the data is a problem of the transcript (%s)', (_name, line) => {
    const t = parse(['EHLO c', ...ENVELOPE, 'DATA', 'From: a@corp.example', 'To: b@corp.example', '', line, '.', 'QUIT']);
    expect(t.problems.map((p) => p.line)).toEqual([8]);
    expect(t.problems[0]!.problem).toMatch(/bare CR/);
  });
});

describe('transcripts written with speaker prefixes are read, not taken for a message with a header field "C"', () => {
  const EXPOSED = ['From: me@corp.example', 'To: a1@org1.test, a2@org2.test, a3@org3.test,', ' a4@org4.test, a5@org5.test, a6@org6.test', 'Subject: offer', '', '.leading dot', 'hi'];
  const session = (client: (l: string) => string, server: (l: string) => string, notes: string[] = []) => [
    ...notes,
    server('220 mx.example ESMTP'),
    client('EHLO corp.example'),
    server('250-mx.example'),
    server('250 PIPELINING'),
    client('MAIL FROM:<me@corp.example>'),
    server('250 OK'),
    client('RCPT TO:<a1@org1.test>'),
    server('250 OK'),
    client('DATA'),
    server('354 go ahead'),
    ...EXPOSED.map((l) => client(l.startsWith('.') ? `.${l}` : l)),
    client('.'),
    server('250 queued'),
    client('QUIT'),
    server('221 bye'),
  ];
  it.each([
    ['the RFCs\' "C: " and "S: "', (l: string) => `C: ${l}`, (l: string) => `S: ${l}`, []],
    ['"C:" and "S:" with nothing after on blank lines', (l: string) => (l === '' ? 'C:' : `C: ${l}`), (l: string) => `S: ${l}`, []],
    ['swaks (" -> ", "<-  ", "=== " notes)', (l: string) => ` -> ${l}`, (l: string) => `<-  ${l}`, ['=== Trying 127.0.0.1:25...', '=== Connected to 127.0.0.1.']],
    ['swaks inside TLS (" ~> ", "<~  ")', (l: string) => ` ~> ${l}`, (l: string) => `<~  ${l}`, ['=== TLS started with cipher TLSv1.3']],
  ])('%s: the message and its envelope, dot-stuffing undone, folded lines kept', (_name, client, server, notes) => {
    const t = parse(session(client, server, notes));
    expect(t.problems).toEqual([]);
    expect(t.transactions).toHaveLength(1);
    expect(t.transactions[0]!.envelope).toEqual({ mailFrom: 'me@corp.example', rcptTo: ['a1@org1.test'] });
    expect(Buffer.from(t.transactions[0]!.data).toString('latin1')).toBe(`${EXPOSED.join('\r\n')}\r\n`);
  });

  it('a log swaks really wrote (tests/data/swaks-exposed.log) gives the message it sent', () => {
    const t = parseSmtpTranscript(readFileSync(new URL('../data/swaks-exposed.log', import.meta.url)));
    expect(t.problems).toEqual([]);
    expect(Buffer.from(t.transactions[0]!.data).toString('latin1')).toMatch(/^From: me@corp\.example\r\nTo: a1@org1\.test, .*\r\n a4@org4\.test, a5@org5\.test, a6@org6\.test\r\nSubject: hi\r\n\r\n\.leading dot\r\n/);
  });

  it.each([
    ['a server remark', 'S: (server note)'],
    ['a swaks note', '=== note'],
    ['a swaks error note', '*** note'],
  ])('%s between header lines of the data is dropped, not read as the blank line that ends the header', (_name, note) => {
    const prefix = note.startsWith('S:') ? 'C: ' : ' -> ';
    const t = parse([`${prefix}EHLO c`, `${prefix}MAIL FROM:<me@corp.example>`, `${prefix}RCPT TO:<a1@org1.test>`, `${prefix}DATA`, `${prefix}From: me@corp.example`, note, `${prefix}To: a1@org1.test, a2@org2.test`, `${prefix}`, `${prefix}hi`, `${prefix}.`]);
    expect(t.problems).toEqual([]);
    expect(Buffer.from(t.transactions[0]!.data).toString('latin1')).toBe('From: me@corp.example\r\nTo: a1@org1.test, a2@org2.test\r\n\r\nhi\r\n');
  });

  it('a line without a prefix in a prefixed transcript is still a problem', () => {
    const t = parse(['C: EHLO c', 'C: MAIL FROM:<a@corp.example>', 'whatever this is', 'C: RCPT TO:<b@corp.example>', 'C: DATA', 'C: From: a@corp.example', 'C: ', 'C: hi', 'C: .']);
    expect(t.problems.map((p) => p.line)).toEqual([3]);
  });

  it.each([
    ['C: EHLO corp.example\r\nS: 250 ok\r\n', true],
    ['S: 220 mx ESMTP\r\nC: HELO corp.example\r\n', true],
    ['=== Trying 127.0.0.1:25...\n=== Connected to 127.0.0.1.\n<-  220 vm ESMTP\n -> EHLO vm\n', true],
    [' -> MAIL FROM:<a@corp.example>\n', true],
    ['C: whatever\r\n', false],
    ['Cc: a@b.example\r\n', false],
    ['From: a@corp.example\r\n', false],
  ])('looksLikeSmtpTranscript(%j) is %s', (text, expected) => {
    expect(looksLikeSmtpTranscript(text)).toBe(expected);
  });
});

describe('PIPELINING: the replies to MAIL FROM and RCPT TO logged after DATA are not the message', () => {
  it.each([
    ['250s then 354', ['250 2.1.0 Ok', '250 2.1.5 Ok', '354 End data']],
    ['a refused RCPT among them', ['250 2.1.0 Ok', '550 5.1.1 no such user', '250 2.1.5 Ok', '354 End data']],
    ['multi-line replies', ['250-2.1.0 Ok', '250 2.1.0 Ok', '354 go']],
  ])('%s', (_name, replies) => {
    const t = parse(['EHLO c', 'MAIL FROM:<a@corp.example>', 'RCPT TO:<b@corp.example>', 'RCPT TO:<c@corp.example>', 'DATA', ...replies, 'From: a@corp.example', 'To: b@corp.example', '', 'hi', '.', '250 queued']);
    expect(t.problems).toEqual([]);
    expect(Buffer.from(t.transactions[0]!.data).toString('latin1')).toBe('From: a@corp.example\r\nTo: b@corp.example\r\n\r\nhi\r\n');
  });
});

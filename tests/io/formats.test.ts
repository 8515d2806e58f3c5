// The input-format registry: one format per name, recognised by content (never by file name),
// and what a file that is not mail is called in reports.
import { describe, expect, it } from 'vitest';
import { describeNotMail, INPUT_FORMATS, INPUT_FORMAT_NAMES, sniffFormat } from '../../src/io/formats/index.js';
import { outlookMsg } from '../helpers/outlook-msg.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('the registry', () => {
  it('has one reader per --input name, and every name a reader', () => {
    expect(INPUT_FORMATS.map((f) => f.name).sort()).toEqual([...INPUT_FORMAT_NAMES].sort());
  });
});

describe('recognised by content', () => {
  const cases: Array<[string, Buffer, boolean, string | undefined]> = [
    ['a draft', b('To: a@x.test\r\nSubject: s\r\n\r\nb'), false, 'eml'],
    ['an LF draft with a BOM', b('\xef\xbb\xbfFrom: a@x.test\nTo: b@y.test\n\nb'), false, 'eml'],
    ['a field name with a blank before the colon', b('Subject : x\n\n'), false, 'eml'],
    ['Received first (a message from a Maildir)', b('Received: from x by y; Mon, 2 Nov 2026\r\nTo: a@x.test\r\n\r\n'), false, 'eml'],
    ['a Thunderbird mbox', b('From - Mon Nov  2 10:00:00 2026\nX-Mozilla-Status: 0001\nTo: a@x.test\n\nb\n'), false, 'mbox'],
    ['an mbox with a sender', b('From sales@corp.example Mon Nov  2 10:00:00 2026\nTo: a@x.test\n\n'), false, 'mbox'],
    ['an SMTP transcript', b('EHLO client\r\nMAIL FROM:<a@x.test>\r\n'), false, 'smtp'],
    ['a transcript with the server banner', b('220 mx.example ESMTP\r\nHELO client\r\n'), false, 'smtp'],
    ['a transcript without EHLO', b('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n'), false, 'smtp'],
    ['a transcript in the RFCs\' C:/S: notation (not a field named "C")', b('S: 220 mx ESMTP\r\nC: EHLO client\r\nS: 250 ok\r\n'), false, 'smtp'],
    ['a swaks log', b('=== Trying 127.0.0.1:25...\n=== Connected to 127.0.0.1.\n<-  220 vm ESMTP\n -> EHLO vm\n'), true, 'smtp'],
    ['an Apple Mail .emlx (a byte count line, then the message)', b('312\nFrom: a@x.test\nTo: b@y.test\n\nhi\n'), true, 'emlx'],
    ['a campaign object', b('{"to": "a@x.test"}'), false, 'json'],
    ['a campaign array with a BOM and blanks', b('\xef\xbb\xbf \n [{"to": "a@x.test"}]'), false, 'json'],
    ['a campaign found by a walk (names message keys)', b('{\n  "messages": []\n}'), true, 'json'],
    ['a campaign in UTF-16LE with its byte order mark (Windows PowerShell)', Buffer.from('\ufeff\r\n{"to": "a@x.test"}', 'utf16le'), true, 'json'],
    ['package.json found by a walk: not a campaign', b('{"name": "app", "version": "1.0.0"}'), true, undefined],
    ['package.json named: read as a campaign (and reported if it is none)', b('{"name": "app"}'), false, 'json'],
    ['an Outlook message', outlookMsg({ subject: 's', recipients: [{ smtp: 'a@x.test', type: 'to' }] }), false, 'msg'],
    ['notes', b('Meeting notes\nCall the customers.\n'), true, undefined],
    ['an empty file', b(''), true, undefined],
    ['a PNG', b('\x89PNG\r\n\x1a\n'), true, undefined],
  ];
  it.each(cases)('%s', (_name, head, strict, expected) => {
    expect(sniffFormat(head, strict)?.name).toBe(expected);
  });
});

describe('what a file that is not mail is', () => {
  it.each([
    [b('\x89PNG\r\n\x1a\n\0\0'), 'PNG image'],
    [b('\xff\xd8\xff\xe0\0\x10JFIF'), 'JPEG image'],
    [b('GIF89a'), 'GIF image'],
    [b('%PDF-1.7\n'), 'PDF document'],
    [b('PK\x03\x04\x14\0'), 'ZIP archive (or an Office document)'],
    [b('\x1f\x8b\x08\0'), 'gzip archive (decompress it and pipe it in: zcat FILE | mailguard check -)'],
    [b('\x7fELF\x02\x01'), 'program (ELF)'],
    [b('<?xml version="1.0"?><plist/>'), 'XML document'],
    [b('{"name": "app"}'), 'JSON document that is not a campaign'],
    [b(''), 'empty file'],
    [b('\0\x01\x02\x03binary'), 'binary file'],
    [b('# Notes\n\ntext\n'), 'text that is not a message (no header field at the start)'],
  ])('%j is a %s', (head, kind) => {
    expect(describeNotMail(head)).toBe(kind);
  });
});

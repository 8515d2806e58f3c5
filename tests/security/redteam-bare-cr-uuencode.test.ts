// A file uuencoded into a text message with bare-CR line ends (classic Mac OS, or a script that
// writes "\r"): the encoded-file reader finds its lines at LF only, so the file was reported only
// as ATTACHMENT_NOT_SCANNED (info) and a list of twelve external addresses in it passed. The SMTP
// relay's client sends each bare CR as CRLF (the sendmail path as LF), and Outlook and Thunderbird
// then show the file as an attachment. Bare-CR lines are now read as the delivered lines.
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { createPolicy } from '../../src/policy/policy.js';
import { uuencode } from '../helpers/uuencode.js';

const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });

const LIST = (domain = (k: number) => `org${k}.test`) => `${Array.from({ length: 12 }, (_, k) => `p${k}@${domain(k)}`).join('\n')}\n`;
const message = (text: string) => `From: s@corp.example\nTo: x@corp.example\nSubject: file\n\n${text}\n`;
const codes = (m: string) => checkMessage(Buffer.from(m, 'latin1'), policy).findings.map((f) => f.code);

describe('a uuencoded file with bare-CR line ends is read', () => {
  it.each([
    ['after an LF line', message(`see attached\n${uuencode(Buffer.from(LIST()), 'list.csv', '\r')}`)],
    ['after a bare-CR line', message(`see attached\r${uuencode(Buffer.from(LIST()), 'list.csv', '\r')}`)],
    ['in a CRLF message', message(`see attached\n${uuencode(Buffer.from(LIST()), 'list.csv', '\r')}`).replace(/\n/g, '\r\n')],
    ['named .txt', message(`see attached\r${uuencode(Buffer.from(LIST()), 'people.txt', '\r')}`)],
  ])('%s: the list is found', (_name, m) => {
    expect(codes(m)).toContain('ADDRESS_LIST_IN_ATTACHMENT');
  });
});

describe('controls', () => {
  it('the same file with LF lines is read once, as before', () => {
    expect(codes(message(`see attached\n${uuencode(Buffer.from(LIST()), 'list.csv', '\n')}`))).toEqual(['ADDRESS_LIST_IN_ATTACHMENT']);
  });

  it('a bare-CR file of colleagues passes', () => {
    expect(codes(message(`see attached\r${uuencode(Buffer.from(LIST(() => 'corp.example')), 'list.csv', '\r')}`))).toEqual([]);
  });

  it('text with bare CRs and no encoded file passes', () => {
    expect(codes(message('begin the meeting at 10\rend at 11\rthanks'))).toEqual([]);
  });
});

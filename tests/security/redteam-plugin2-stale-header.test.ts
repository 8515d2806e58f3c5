// The library API's functions that take a header beside the message (checkMessage's `header`
// option, parseMessage, stripBcc, editFields) used whatever block they were handed: one read from
// another message (the draft before an edit, a template) or built by hand. checkMessage then
// passed a message showing an external list with no finding, and stripBcc cut the wrong bytes
// and left the Bcc field in place. Now a header is used only when it is readHeaderBlock's reading
// of these bytes (the same buffer, or equal bytes); any other is refused with EUSAGE.
import { describe, expect, it } from 'vitest';
import { checkMessage, editFields, headerRecipients, MailguardError, parseMessage, readHeaderBlock, stripBcc, type HeaderBlock } from '../../src/index.js';

const POLICY = { internalDomains: ['corp.example'] };
const LIST = 'ann@alpha.test, ben@beta.test, cy@gamma.test, dee@delta.test, eve@epsilon.test';
const CLEAN = Buffer.from('From: sales@corp.example\r\nTo: boss@corp.example\r\nSubject: offer\r\n\r\nhello\r\n');
const EXPOSED = Buffer.from(`From: sales@corp.example\r\nTo: ${LIST}\r\nSubject: offer\r\n\r\nhello\r\n`);
const WITH_BCC = Buffer.from(`From: sales@corp.example\r\nTo: boss@corp.example\r\nBcc: ${LIST}\r\nSubject: offer\r\n\r\nhello\r\n`);
/** WITH_BCC after a tracking field was added above its Bcc field: every offset after it moved. */
const WITH_BCC_EDITED = Buffer.from(`From: sales@corp.example\r\nTo: boss@corp.example\r\nX-Tracking: 0123456789abcdef0123456789abcdef\r\nBcc: ${LIST}\r\nSubject: offer\r\n\r\nhello\r\n`);
const HAND_BUILT: HeaderBlock = { fields: [], problems: [], fieldsStart: 0, headerEnd: 0, bodyStart: 2, hasBlankLine: true, lineEnding: 'crlf' };

const codes = (message: Uint8Array | string, header?: HeaderBlock) => checkMessage(message, POLICY, header ? { header } : {}).findings.map((f) => f.code);

function refused(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    return err instanceof MailguardError ? err.code : `not a MailguardError: ${String(err)}`;
  }
  return undefined;
}

describe('a header not read from the message is refused, never used', () => {
  const cases: Array<[string, () => unknown]> = [
    ['checkMessage of an exposed list with the header of a clean message', () => codes(EXPOSED, readHeaderBlock(CLEAN))],
    ['checkMessage of a message after an edit added a Cc list, with the header read before it', () => codes(editFields(CLEAN, readHeaderBlock(CLEAN), [], [Buffer.from(`Cc: ${LIST}\r\n`)]), readHeaderBlock(CLEAN))],
    ['checkMessage with a header built by hand (no fields)', () => codes(EXPOSED, HAND_BUILT)],
    ['parseMessage of an exposed list with the header of a clean message (its recipients read from there)', () => headerRecipients(parseMessage(EXPOSED, readHeaderBlock(CLEAN)))],
    ['stripBcc of a message edited after its header was read', () => stripBcc(WITH_BCC_EDITED, readHeaderBlock(WITH_BCC))],
    ['stripBcc with a header built by hand', () => stripBcc(WITH_BCC, HAND_BUILT)],
    ['editFields (removing the Bcc field) with the header read before an edit', () => editFields(WITH_BCC_EDITED, readHeaderBlock(WITH_BCC), [{ fieldIndex: 2 }])],
  ];
  for (const [name, run] of cases) {
    it(name, () => {
      expect(refused(run)).toBe('EUSAGE');
    });
  }
});

describe('controls: the message\'s own header, read once and handed back', () => {
  it('the same Buffer: the same findings as without a header', () => {
    expect(codes(EXPOSED, readHeaderBlock(EXPOSED))).toEqual(codes(EXPOSED));
    expect(codes(EXPOSED)).toContain('EXPOSED_RECIPIENTS');
    expect(codes(CLEAN, readHeaderBlock(CLEAN))).toEqual([]);
  });

  it('equal bytes: a string given again, a copy of the Buffer', () => {
    const text = EXPOSED.toString('utf8');
    expect(codes(text, readHeaderBlock(text))).toContain('EXPOSED_RECIPIENTS');
    expect(codes(Buffer.from(EXPOSED), readHeaderBlock(EXPOSED))).toContain('EXPOSED_RECIPIENTS');
  });

  it('a view with an offset into a larger buffer is read as the bytes it covers, with or without its header', () => {
    const around = Buffer.concat([Buffer.from(`To: ${LIST}\r\n\r\n`), CLEAN, Buffer.from(`Cc: ${LIST}\r\n`)]);
    const view = new Uint8Array(around.buffer, around.byteOffset + around.indexOf('From:'), CLEAN.length);
    expect(codes(view)).toEqual([]);
    expect(codes(view, readHeaderBlock(view))).toEqual([]);
    const both = Buffer.concat([CLEAN, EXPOSED]);
    const exposedView = new Uint8Array(both.buffer, both.byteOffset + CLEAN.length, EXPOSED.length);
    expect(codes(exposedView, readHeaderBlock(exposedView))).toContain('EXPOSED_RECIPIENTS');
  });

  it('stripBcc, parseMessage and editFields with their own header do what they did', () => {
    const header = readHeaderBlock(WITH_BCC);
    const stripped = Buffer.from(stripBcc(WITH_BCC, header)).toString('utf8');
    expect(stripped).not.toContain('Bcc:');
    expect(stripped).toBe(Buffer.from(stripBcc(WITH_BCC)).toString('utf8'));
    expect(headerRecipients(parseMessage(EXPOSED, readHeaderBlock(EXPOSED)))).toHaveLength(5);
    const edited = Buffer.from(editFields(WITH_BCC, header, [], [Buffer.from('X-Campaign: spring\r\n')])).toString('utf8');
    expect(edited).toContain('X-Campaign: spring');
  });
});

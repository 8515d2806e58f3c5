// Red team, header reading: a list written one address per field, the fields' names told apart by a
// letter (`X-Team-A: a@x`, `X-Team-B: b@y` ...). Fields of one name, or of names that differ only
// in their numbers (`X-Recipient-1`, `X-Recipient-2`), are read together as one list: each field
// alone is a contact, all of them a list every reader's all-headers view shows. A letter numbers
// the entries as a number does, and those names were each their own: five such fields, five
// organisations, passed as clean.
import { describe, expect, it } from 'vitest';
import { decideDelivery } from '../../src/decide/index.js';
import { runCli } from '../helpers/cli.js';
import { check, codes, CORP, message } from './support.js';

const PEOPLE = ['a@alpha.example', 'b@beta.example', 'c@gamma.example', 'd@delta.example', 'e@epsilon.example'];

function withHeader(lines: string[], eol = '\r\n'): string {
  return message(['From: me@corp.example', 'To: me@corp.example', 'Subject: notes', 'Date: Mon, 7 Dec 2026 10:00:00 +0000', ...lines], eol);
}

const LETTERS = 'ABCDE';

describe('one address per field, the names lettered', () => {
  it.each([
    ['X-Team-A ... X-Team-E', PEOPLE.map((p, i) => `X-Team-${LETTERS[i]}: ${p}`)],
    ['lower-case letters', PEOPLE.map((p, i) => `X-Contact-${LETTERS[i]!.toLowerCase()}: ${p}`)],
    ['an underscore before the letter', PEOPLE.map((p, i) => `X-Member_${LETTERS[i]}: ${p}`)],
    ['letters and numbers mixed', PEOPLE.map((p, i) => `X-Seat-${i < 3 ? LETTERS[i] : i + 1}: ${p}`)],
    ['with display names', PEOPLE.map((p, i) => `X-Team-${LETTERS[i]}: Person ${i} <${p}>`)],
    ['the fields apart, among others', [`X-Team-A: ${PEOPLE[0]}`, 'X-Mailer: mailer', `X-Team-B: ${PEOPLE[1]}`, 'MIME-Version: 1.0', `X-Team-C: ${PEOPLE[2]}`, `X-Team-D: ${PEOPLE[3]}`, `X-Team-E: ${PEOPLE[4]}`]],
  ])('%s: blocks', (_name, lines) => {
    const r = check(withHeader(lines));
    expect(codes(r)).toContain('EXPOSED_RECIPIENTS');
    expect(r.verdict).toBe('block');
    expect(r.recipients.shown.map((v) => v.address)).toEqual(expect.arrayContaining(PEOPLE));
  });

  it('LF line ends and the delivery decision: blocked, not relayed', () => {
    const text = withHeader(PEOPLE.map((p, i) => `X-Team-${LETTERS[i]}: ${p}`), '\n');
    expect(decideDelivery(Buffer.from(text), CORP, { onViolation: 'block' }).action).toBe('block');
  });

  it('the built CLI exits 1', async () => {
    const r = await runCli(['check', '--internal-domain', 'corp.example', '-'], { input: withHeader(PEOPLE.map((p, i) => `X-Team-${LETTERS[i]}: ${p}`)) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('EXPOSED_RECIPIENTS');
  });
});

describe('controls: single contacts in fields of different names keep passing', () => {
  it.each([
    ['a sender, a complaints address, a list', ['X-Sender: me@corp.example', 'X-Complaints-To: abuse@alpha.example', 'X-Mailing-List: list@beta.example', 'Errors-To: bounces@gamma.example']],
    ['two lettered fields with one contact each', ['X-Contact-A: a@alpha.example', 'X-Contact-B: b@beta.example']],
    ['names that end in a word, not a letter', ['X-Report-Abuse: abuse@alpha.example', 'X-Report-Spam: spam@beta.example', 'X-Report-Bugs: bugs@gamma.example']],
  ])('%s', (_name, lines) => {
    const r = check(withHeader(lines));
    expect(r.verdict).toBe('pass');
    expect(r.findings).toEqual([]);
  });
});

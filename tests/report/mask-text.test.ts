// maskText hides the local part of every address in a malformed field's excerpt, however it is
// written (found by an output hunt: "mary.major @patients.test" and "john(x)@patients.test" were
// shown whole in JUnit, SARIF and GitHub output, which are masked by default).
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/findings.js';
import { describeFinding } from '../../src/report/messages.js';
import { maskParty, maskText } from '../../src/report/redact.js';

describe('maskText', () => {
  it.each([
    ['jane.doe@patients.test', 'j***@patients.test'],
    ['mary.major @patients.test', 'm*** @patients.test'],
    ['john(x)@patients.test', 'j***(***)@patients.test'],
    ['john (note) (more)@patients.test', 'j*** (***) (***)@patients.test'],
    ['"jane doe"@patients.test', '"j***"@patients.test'],
    ['a@x.test b@y.test, <c@z.test>', 'a***@x.test b***@y.test, <c***@z.test>'],
    ['Ann <ann@alpha.test> (boss)', 'Ann <a***@alpha.test> (boss)'],
    ['no address here', 'no address here'],
    // A fullwidth or small commercial at is an at to every reader (and to the analysis).
    ['bob\uFF20other.example', 'b***\uFF20other.example'],
    ['Grüße an c1\uFF20org0.example, c2\uFE6Borg1.example', 'Grüße an c***\uFF20org0.example, c***\uFE6Borg1.example'],
    ['\uFF4A\uFF41\uFF4E\uFF45\uFF20\uFF58.example', '\uFF4A***\uFF20\uFF58.example'],
    ['"jane doe"\uFF20patients.test', '"j***"\uFF20patients.test'],
    ['john (x) \uFE6Bpatients.test', 'j*** (***) \uFE6Bpatients.test'],
  ])('%j -> %j', (text, masked) => {
    expect(maskText(text)).toBe(masked);
  });
});

// A name that is sometimes an address (a consumer provider's party, an AUTH user name) is masked
// as one address when it has an at of any kind, and left as it is otherwise.
describe('maskParty', () => {
  it.each([
    ['jane.doe@client.example', 'j***@client.example'],
    ['jane doe@client.example', 'j***@client.example'],
    ['jane\uFF20client.example', 'j***\uFF20client.example'],
    ['jane\uFE6Bclient.example', 'j***\uFE6Bclient.example'],
    ['alice', 'alice'],
    ['client.example', 'client.example'],
  ])('%j -> %j', (name, masked) => {
    expect(maskParty(name)).toBe(masked);
  });
});

describe('an unreadable input\'s detail quoting the input', () => {
  const finding = { code: 'UNREADABLE_MESSAGE', severity: 'error', args: { reason: 'bad-transcript', detail: 'line 3: unknown command "X jane@pt.test"' } } as unknown as Finding;
  it('is masked by default and shown whole with redact off', () => {
    expect(describeFinding(finding, { redact: true })).toContain('"X j***@pt.test"');
    expect(describeFinding(finding, { redact: false })).toContain('"X jane@pt.test"');
  });
});

// maskText hides the local part of every address in a malformed field's excerpt, however it is
// written (found by an output hunt: "mary.major @patients.test" and "john(x)@patients.test" were
// shown whole in JUnit, SARIF and GitHub output, which are masked by default).
import { describe, expect, it } from 'vitest';
import { maskText } from '../../src/report/redact.js';

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
  ])('%j -> %j', (text, masked) => {
    expect(maskText(text)).toBe(masked);
  });
});

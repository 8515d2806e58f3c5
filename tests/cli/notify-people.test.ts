// The incident-file reader of `mailguard notify`: CSV through csv-parse, JSON from audit.
import { describe, expect, it } from 'vitest';
import { readPeople } from '../../src/cli/actions/notify.js';

describe('readPeople (CSV incident files)', () => {
  it('reads the address and internal columns wherever they are, with CRLF, LF and a byte-order mark', () => {
    for (const eol of ['\r\n', '\n']) {
      const text = `\ufeffname,internal,address${eol}"Doe, Jane",no,jane@example.org${eol}Bob,yes,bob@corp.example${eol}`;
      expect(readPeople(text, 'a.csv')).toEqual([
        { address: 'jane@example.org', internal: false },
        { address: 'bob@corp.example', internal: true },
      ]);
    }
  });

  it('keeps quoted cells with commas, doubled quotes and line breaks whole', () => {
    const text = 'address,note\r\nann@example.org,"said ""hi"", then\r\nleft"\r\n';
    expect(readPeople(text, 'a.csv')).toEqual([{ address: 'ann@example.org', internal: false }]);
  });

  it('drops blank rows and duplicate people (case of the domain ignored)', () => {
    const text = 'address\n\nann@example.org\n  \nann@EXAMPLE.org\ncat@example.net\n';
    expect(readPeople(text, 'a.csv').map((p) => p.address)).toEqual(['ann@example.org', 'cat@example.net']);
  });

  it('refuses a file that is not CSV, has no address column, masked or broken addresses, or nobody', () => {
    expect(() => readPeople('address\n"ann@example.org\n', 'q.csv')).toThrow(/q\.csv is not a readable CSV file/);
    expect(() => readPeople('email\nann@example.org\n', 'n.csv')).toThrow(/no "address" column/);
    expect(() => readPeople('address\nj***@example.org\n', 'm.csv')).toThrow(/masked addresses/);
    expect(() => readPeople('address\n"ann@example.org, bob@example.org"\n', 'b.csv')).toThrow(/row 2: .* is not one address/);
    expect(() => readPeople('address\n', 'e.csv')).toThrow(/names nobody/);
  });
});

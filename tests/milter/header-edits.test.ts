// Header edits: from the MTA's fields and the decided bytes to CHGHEADER/INSHEADER, applied the
// way Postfix applies them (checked for real in tests/e2e/milter-postfix.test.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyHeaderEdits, headerBytes, planHeaderEdits, sameHeader, type MilterField } from '../../src/milter/header-edits.js';
import { createPolicy } from '../../src/policy/policy.js';
import { rewriteToBcc } from '../../src/rewrite/bcc.js';
import { stripBcc } from '../../src/rewrite/strip-bcc.js';

const policy = createPolicy({ internalDomains: ['corp.example'], warnAt: 2, blockAt: 2 });
const f = (name: string, value: string): MilterField => ({ name, value });
const message = (fields: MilterField[], leadingSpace = true) => Buffer.concat([headerBytes(fields, leadingSpace), Buffer.from('\r\nbody\r\n')]);

/** The bytes the bcc decision sends: rewritten, then without any Bcc field. */
const bccTarget = (fields: MilterField[], leadingSpace = true) => stripBcc(rewriteToBcc(message(fields, leadingSpace), policy).bytes);

describe('planHeaderEdits for the bcc rewrite', () => {
  const cases: Array<{ name: string; fields: MilterField[]; edits: string[] }> = [
    {
      name: 'To of externals only: To becomes the placeholder in place',
      fields: [f('From', ' a@corp.example'), f('To', ' x@one.test, y@two.test'), f('Cc', ' b@corp.example'), f('Subject', ' s')],
      edits: ['chgheader To#1= undisclosed-recipients:;'],
    },
    {
      name: 'mixed To: the internal recipient stays',
      fields: [f('From', ' a@corp.example'), f('To', ' x@one.test,\n\tb@corp.example, y@two.test'), f('Subject', ' s')],
      edits: ['chgheader To#1= b@corp.example'],
    },
    {
      name: 'Cc only: To is inserted before Cc (index counts Postfix\'s hidden Received)',
      fields: [f('From', ' a@corp.example'), f('X-Before', ' 1'), f('Cc', ' x@one.test, y@two.test, b@corp.example'), f('Subject', ' s')],
      edits: ['chgheader Cc#1= b@corp.example', 'insheader @3 To= undisclosed-recipients:;'],
    },
    {
      name: 'externals in To and Cc, Cc left empty: Cc is deleted',
      fields: [f('From', ' a@corp.example'), f('To', ' x@one.test'), f('Subject', ' s'), f('Cc', ' y@two.test')],
      edits: ['chgheader Cc#1=', 'chgheader To#1= undisclosed-recipients:;'],
    },
    {
      name: 'two To fields, the second one emptied; an existing Bcc field is removed',
      fields: [f('From', ' a@corp.example'), f('To', ' b@corp.example'), f('Bcc', ' c@corp.example'), f('To', ' x@one.test, y@two.test')],
      edits: ['chgheader To#2=', 'chgheader Bcc#1='],
    },
  ];
  it.each(cases)('$name', ({ fields, edits }) => {
    const target = bccTarget(fields);
    const planned = planHeaderEdits(fields, target, true)!;
    expect(planned.map((e) => (e.kind === 'chgheader' ? `chgheader ${e.name}#${e.index}=${e.value}` : `insheader @${e.index} ${e.name}=${e.value}`))).toEqual(edits);
    // Applied as Postfix does, they give exactly the decided header.
    expect(sameHeader(applyHeaderEdits(fields, planned), target, true)).toBe(true);
  });

  it('without SMFIP_HDR_LEADSPC the values are sent without their leading space', () => {
    const fields = [f('From', 'a@corp.example'), f('To', 'x@one.test, y@two.test')];
    const target = bccTarget(fields, false);
    const planned = planHeaderEdits(fields, target, false)!;
    expect(planned).toEqual([{ kind: 'chgheader', index: 1, name: 'To', value: 'undisclosed-recipients:;' }]);
    expect(sameHeader(applyHeaderEdits(fields, planned), target, false)).toBe(true);
  });

  it('no edits when nothing changes', () => {
    const fields = [f('From', ' a@corp.example'), f('To', ' b@corp.example')];
    expect(planHeaderEdits(fields, message(fields), true)).toEqual([]);
    expect(sameHeader(fields, message(fields), true)).toBe(true);
  });
});

describe('planHeaderEdits on any change of fields (property)', () => {
  const name = fc.constantFrom('To', 'Cc', 'Bcc', 'Subject', 'X-A', 'Received', 'to');
  const value = fc.constantFrom(' a', ' b', ' c@d.test', ' x,\n\ty', '', '\tt');
  const field = fc.record({ name, value });
  it('the planned edits, applied as Postfix does, reproduce the target header exactly', () => {
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 12 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom('del', 'chg', 'ins'), field), { maxLength: 6 }), (original, changes) => {
        const target = original.map((x) => ({ ...x }));
        for (const [at, op, nf] of changes) {
          const i = target.length === 0 ? 0 : at % target.length;
          if (op === 'del' && target.length > 1) target.splice(i, 1);
          else if (op === 'chg' && target.length > 0) target[i] = { name: target[i]!.name, value: nf.value };
          else target.splice(at % (target.length + 1), 0, nf);
        }
        const targetBytes = message(target);
        const edits = planHeaderEdits(original, targetBytes, true);
        if (!edits) return;
        expect(sameHeader(applyHeaderEdits(original, edits), targetBytes, true)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });
});

// The spreadsheet counts cross-checked with a second, independent reader: Python's openpyxl
// (Debian's python3-openpyxl, installed by .ci/run). Both read the same generated workbooks; the
// distinct addresses per sheet, the sheet states and the hidden rows and columns must agree.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMessage, createPolicy } from '../../src/index.js';
import { findAddresses } from '../../src/body/addresses.js';
import { addresses, buildMessage, buildXlsx, type SheetSpec } from '../helpers/office-files.js';

const PYTHON = '/usr/bin/python3';
const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-xcheck-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Prints, per sheet: name, state, every cell value, and which cells are hidden (row or column).
const READER = String.raw`
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = []
for ws in wb.worksheets:
    hidden_rows = {r for r, d in ws.row_dimensions.items() if d.hidden}
    hidden_cols = set()
    for key, d in ws.column_dimensions.items():
        if d.hidden:
            for c in range(d.min or 0, (d.max or 0) + 1):
                hidden_cols.add(c)
    cells = []
    for row in ws.iter_rows():
        for c in row:
            if c.value is None:
                continue
            cells.append([str(c.value), c.row in hidden_rows or c.column in hidden_cols])
    out.append({"name": ws.title, "state": ws.sheet_state, "cells": cells})
print(json.dumps(out))
`;

interface PySheet {
  name: string;
  state: string;
  cells: Array<[string, boolean]>;
}

function openpyxl(bytes: Uint8Array): PySheet[] {
  const file = path.join(tmp, `w${Math.random().toString(36).slice(2)}.xlsx`);
  writeFileSync(file, bytes);
  return JSON.parse(execFileSync(PYTHON, ['-c', READER, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
}

const rows = (list: string[]) => list.map((a, i) => [`Name ${i + 1}`, a]);
const WORKBOOKS: Array<[string, SheetSpec[]]> = [
  ['visible 20 rows + hidden sheet of 5,000', [{ name: 'Summary', rows: rows(addresses(20, 'v')) }, { name: 'Applicants', state: 'hidden', rows: rows(addresses(5000, 'a', 300)) }]],
  ['hidden rows', [{ name: 'Data', rows: rows(addresses(200)), hiddenRows: Array.from({ length: 150 }, (_, i) => i + 51) }]],
  ['hidden column, very hidden sheet, inline strings', [{ name: 'Wide', rows: addresses(40).map((a, i) => [`n${i}`, a, `second${i}@alt.test`]), hiddenCols: [3] }, { name: 'VH', state: 'veryHidden', inline: true, rows: rows(addresses(30, 'vh')) }]],
];

describe('xlsx counts agree with openpyxl', () => {
  it.each(WORKBOOKS)('%s', (_label, sheets) => {
    const xlsx = buildXlsx(sheets);
    const py = openpyxl(xlsx);
    const r = checkMessage(buildMessage([{ fileName: 'w.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', bytes: xlsx }]), createPolicy({ internalDomains: ['corp.example'] }), {
      source: 't',
      body: { minAddresses: 1, maxPartBytes: 1024 * 1024 },
    });
    const ours = r.findings.flatMap((f) => (f.code === 'ADDRESS_LIST_IN_ATTACHMENT' ? [[f.args.sheet, f.args.externalAddresses, f.args.hiddenAddresses, f.args.hidden.filter((h) => h.endsWith('-sheet'))]] : []));
    const theirs = py.map((s) => {
      const all = new Set<string>();
      const visible = new Set<string>();
      const sheetHidden = s.state !== 'visible';
      for (const [v, hidden] of s.cells) {
        for (const a of findAddresses(v)) {
          all.add(a);
          if (!hidden && !sheetHidden) visible.add(a);
        }
      }
      const hiddenOnly = [...all].filter((a) => !visible.has(a)).length;
      return [s.name, all.size, hiddenOnly, s.state === 'hidden' ? ['hidden-sheet'] : s.state === 'veryHidden' ? ['very-hidden-sheet'] : []];
    });
    expect(ours).toEqual(theirs);
    expect(ours.length).toBe(sheets.length);
  });
});

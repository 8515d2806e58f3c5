// mailguard explain CODE: prints the long explanation of a finding code (wording in src/report/explain.ts).

import { MailguardError } from '../../errors.js';
import { FINDING_CODES, isFindingCode } from '../../findings.js';
import { explainCode, formatExplanation } from '../../report/explain.js';
import { FINDING_TITLES } from '../../report/messages.js';
import { EXIT } from '../exit-codes.js';
import { writeReport } from '../output.js';
import { adaptSuggestions } from '../program-name.js';

function codeList(): string {
  const width = Math.max(...FINDING_CODES.map((c) => c.length));
  return FINDING_CODES.map((c) => `  ${c.padEnd(width)}  ${FINDING_TITLES[c] ?? ''}`).join('\n');
}

export async function runExplain(code: string | undefined): Promise<number> {
  if (code === undefined) {
    await writeReport(adaptSuggestions(`Finding codes (run "mailguard explain CODE" for one of them):\n${codeList()}\n`), undefined);
    return EXIT.OK;
  }
  const normalised = code.trim().toUpperCase().replace(/-/g, '_');
  if (!isFindingCode(normalised)) {
    throw new MailguardError('EUSAGE', `unknown finding code "${code}".`, { hint: `Known codes:\n${codeList()}` });
  }
  await writeReport(adaptSuggestions(formatExplanation(explainCode(normalised))), undefined);
  return EXIT.OK;
}

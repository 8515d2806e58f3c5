// Scenario 8 (issue 21): mailguard audit of N messages' headers over IMAP from a private Dovecot
// on 127.0.0.1 vs the same N messages audited as files, both through the CLI (JSON to /dev/null).
// Dovecot comes from tests/helpers/dovecot.ts (root and the dovecot-imapd package needed; when
// either is missing the scenario is skipped with a note, not failed).

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { startDovecot } from '../tests/helpers/dovecot.js';
import { alternate, medians, runChild } from './measure.js';
import { result, type ScenarioResult } from './results.js';

export interface ImapScenarioOptions {
  bin: string;
  /** A folder of N .eml files (the drafts of scenario 1). */
  drafts: string;
  rounds: number;
  tmp: string;
  log: (message: string) => void;
}

const PASSWORD = 'bench-password';

export async function runImapScenario(o: ImapScenarioOptions): Promise<ScenarioResult | undefined> {
  const names = (await readdir(o.drafts)).sort();
  let dovecot;
  try {
    dovecot = await startDovecot({ users: [{ user: 'bench', password: PASSWORD }] });
  } catch (err) {
    o.log(`8: skipped, no private Dovecot: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
  try {
    o.log(`8: putting ${names.length} messages in a Dovecot Sent folder`);
    const messages = await Promise.all(names.map(async (n) => ({ flags: 'S', bytes: await readFile(path.join(o.drafts, n)) })));
    await dovecot.addMessages('bench', 'Sent', messages);
    const url = `imap://bench@127.0.0.1:${dovecot.port}/Sent`;
    const env = { MAILGUARD_IMAP_PASSWORD: PASSWORD };
    // The first read builds Dovecot's index of the folder; it is not what is measured.
    await runChild(process.execPath, [o.bin, 'audit', url, '--format', 'json'], { cwd: o.tmp, env });
    o.log(`8: mailguard audit over IMAP vs the same files (${o.rounds} rounds)`);
    const times = medians(
      await alternate(
        {
          files: () => runChild(process.execPath, [o.bin, 'audit', o.drafts, '--format', 'json'], { cwd: o.tmp }),
          imap: () => runChild(process.execPath, [o.bin, 'audit', url, '--format', 'json'], { cwd: o.tmp, env }),
        },
        o.rounds,
      ),
    );
    return result(
      '10-audit-imap-vs-files',
      `mailguard audit of ${names.length} messages' headers over IMAP (Dovecot on loopback, batches of 500) vs the same messages as files, through the CLI`,
      times.imap!,
      'ms',
      times.files!,
      'mailguard audit DIR (the same messages as .eml files)',
      null,
    );
  } finally {
    await dovecot.stop();
  }
}

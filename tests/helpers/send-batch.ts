// A batch of messages for mailguard send (one .eml each, recipients in Bcc so nothing is
// rewritten) and a tally of what the recording sink got: lost and duplicated (message, recipient).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deliveryCounts, headerOf, type Sink } from './smtp-sink.js';

/** Writes `n` messages into a new folder `dir`; message i goes to the recipients `recipientsOf(i)` (Bcc-style, so no rewrite). */
export async function writeBatch(dir: string, n: number, recipientsOf: (i: number) => string[]): Promise<{ dir: string; expected: Map<string, string[]> }> {
  await mkdir(dir);
  const expected = new Map<string, string[]>();
  for (let i = 1; i <= n; i++) {
    const id = `<load-${i}@corp.example>`;
    const rcpt = recipientsOf(i);
    expected.set(id, rcpt);
    const text = [`From: sales@corp.example`, `To: team@corp.example`, `Bcc: ${rcpt.join(', ')}`, `Subject: load ${i}`, `Message-ID: ${id}`, '', `Message ${i}.`, ''].join('\r\n');
    await writeFile(path.join(dir, `m${String(i).padStart(5, '0')}.eml`), text);
  }
  return { dir, expected };
}

export function tally(s: Sink, expected: Map<string, string[]>) {
  const counts = deliveryCounts(s.messages, (m) => headerOf(m, 'Message-ID') ?? '?');
  const lost: string[] = [];
  const duplicates: Array<{ key: string; n: number }> = [];
  for (const [id, rcpt] of expected) {
    for (const r of ['team@corp.example', ...rcpt]) {
      const key = `${id} -> ${r}`;
      const n = counts.get(key) ?? 0;
      if (n === 0) lost.push(key);
      if (n > 1) duplicates.push({ key, n });
    }
  }
  return { lost, duplicates };
}

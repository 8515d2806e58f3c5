// Scenario 7's baseline: plain nodemailer sending raw messages, as a script would without
// mailguard. Reads the same .eml files as mailguard send, the envelopes from a manifest, and
// sends over one pooled connection with two messages in flight (as mailguard send does).
//   node bench/nodemailer-send.mjs MANIFEST.json smtp://127.0.0.1:PORT
import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';

const [manifestFile, url] = process.argv.slice(2);
const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
const transport = nodemailer.createTransport({ url, pool: true, maxConnections: 1 });
let next = 0;
const worker = async () => {
  while (next < manifest.length) {
    const m = manifest[next++];
    await transport.sendMail({ envelope: { from: m.from, to: m.to }, raw: await readFile(m.file) });
  }
};
await Promise.all([worker(), worker()]);
transport.close();

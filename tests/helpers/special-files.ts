// Entries that are neither files nor directories, for the tests of what walks and patterns do
// with them: FIFOs (mkfifo) and a listening Unix socket.
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Makes a FIFO at each path. */
export function mkfifo(...paths: string[]): void {
  for (const p of paths) execFileSync('mkfifo', [p]);
}

/** A server listening on a Unix socket at `p`; close it when done. */
export async function listenUnixSocket(p: string): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(p, resolve));
  return server;
}

/** In `dir`: `null.eml`, a link to /dev/null (a device), and `socket.eml`, a listening socket. */
export async function deviceLinkAndSocket(dir: string): Promise<net.Server> {
  symlinkSync('/dev/null', path.join(dir, 'null.eml'));
  return listenUnixSocket(path.join(dir, 'socket.eml'));
}

/** What a JSON check report says of the files it did not read. */
export interface NotReadReport {
  summary: { checked: number; notRead: number };
  notRead: Array<{ path: string; kind: string }>;
}

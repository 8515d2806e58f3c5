// Terminal facts the CLI needs: colour, TTY, and a progress line on stderr.

import { fstatSync } from 'node:fs';
import type { Painter } from '../report/human.js';

/** Colour on stdout: --no-color and NO_COLOR turn it off, FORCE_COLOR on, else only on a TTY. */
export function useColor(flag: boolean | undefined, stream?: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream ? stream.isTTY === true : stdoutIsTerminal();
}

/**
 * Whether stdout is a terminal, without creating process.stdout where the answer is plain: a
 * file, a pipe or a socket never is (fstat), and creating process.stdout loads Node's stream
 * modules, ~9M instructions of a one-draft check's start (bench scenario 5) that writes its report
 * to descriptor 1 (src/cli/output.ts). A character device (a terminal, /dev/null) is asked.
 */
function stdoutIsTerminal(): boolean {
  try {
    if (process.platform !== 'win32' && !fstatSync(1).isCharacterDevice()) return false;
  } catch {
    return false; // No descriptor 1 (closed): nothing to colour.
  }
  return process.stdout.isTTY === true;
}

/** The chalk level for stdout: 0 without colour; FORCE_COLOR's level when it asks for 2 or 3, else 1. */
export function colorLevel(flag: boolean | undefined, stream?: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 {
  if (!useColor(flag, stream, env)) return 0;
  const forced = Number(env.FORCE_COLOR);
  return forced === 2 || forced === 3 ? forced : 1;
}

/**
 * The painter handed to the human formatters: chalk at the level FORCE_COLOR asks for (1 when it
 * is set without a level, or on a TTY), or false for no colour. Decided here, from this process's
 * flags and environment, so the formatters stay pure. chalk is imported only when there is colour
 * to paint: its terminal detection runs at import and loads node:tty (about 8M instructions of a
 * cold start in callgrind, bench scenario 5, where output is JSON or not a terminal). No static
 * import of chalk in the CLI: the check build is split into chunks (tsup.config.ts), and a chunk
 * holding chalk would be loaded, and its detection run, at start-up.
 */
export async function loadColors(flag: boolean | undefined, stream?: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Promise<Painter | false> {
  return painterAt(colorLevel(flag, stream, env));
}

/** The painter for a chalk level already decided (a check job's worker gets the main thread's). */
export async function painterAt(level: 0 | 1 | 2 | 3): Promise<Painter | false> {
  if (level === 0) return false;
  const { Chalk: LazyChalk } = await import('chalk');
  return new LazyChalk({ level });
}

/** Below this many inputs no progress is shown: it would flicker for nothing. */
const PROGRESS_MIN_ITEMS = 50;
/** Redraw at most this often. */
const PROGRESS_INTERVAL_MS = 100;

export interface Progress {
  tick(done: number, total?: number): void;
  done(): void;
}

/**
 * A one-line progress counter on stderr, only when stderr is a TTY. process.stderr is looked at
 * only once there is something to show: creating it loads Node's stream modules, which a check of
 * one draft (bench scenario 5) would pay for nothing.
 */
export function createProgress(label: string, streamOf: () => NodeJS.WriteStream = () => process.stderr): Progress {
  let stream: NodeJS.WriteStream | false | undefined;
  let last = 0;
  let shown = false;
  return {
    tick(done, total) {
      if (stream === false) return;
      const now = Date.now();
      if (now - last < PROGRESS_INTERVAL_MS || (total !== undefined && total < PROGRESS_MIN_ITEMS && !shown)) return;
      if (total === undefined && done < PROGRESS_MIN_ITEMS) return;
      if (stream === undefined) {
        const candidate = streamOf();
        stream = candidate.isTTY ? candidate : false;
        if (stream === false) return;
      }
      last = now;
      shown = true;
      const pct = total ? ` (${Math.floor((done / total) * 100)}%)` : '';
      stream.write(`\r\u001b[2K${label} ${done}${total ? `/${total}` : ''}${pct}`);
    },
    done() {
      if (shown && stream) stream.write('\r\u001b[2K');
    },
  };
}

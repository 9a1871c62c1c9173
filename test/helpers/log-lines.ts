import { Writable } from 'node:stream';
import pino from 'pino';

/** A real pino logger at info level whose JSON lines are kept in `lines`. */
export function captureLog(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) }));
  return { log, lines };
}

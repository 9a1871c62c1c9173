import { statSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { SdliveError } from '../errors.js';
import type { Logger } from '../log.js';

/** out.mp4 -> out-N.mp4 (frames/%04d.png -> frames/%04d-N.png). */
export function segmentPath(path: string, n: number): string {
  const ext = extname(path);
  return n ? `${path.slice(0, path.length - ext.length)}-${n}${ext}` : path;
}

/**
 * Whether a recording is under this path: a regular file (a FIFO or a device is not one); for a numbered
 * sequence (frames/%04d.png), its first file.
 */
export function recordingExists(path: string): boolean {
  const first = path.replace(/%(0?)(\d*)d/, (_, zero: string, width: string) => '1'.padStart(zero ? Number(width) : 0, '0'));
  return statSync(first, { throwIfNoEntry: false })?.isFile() === true;
}

/** The first of path, path-1, path-2... (from segment `from`) under which nothing is recorded yet. */
export function freeSegment(path: string, from = 0): number {
  let n = from;
  while (recordingExists(segmentPath(path, n))) n++;
  return n;
}

/** A recording into a folder that does not exist would fail on every retry: a start-up error instead. */
export function checkRecordingFolder(spec: string, path: string): void {
  const folder = dirname(path);
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
    throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', `--output ${spec}: no folder "${folder}" to record into; create it first`, 'outputs');
  }
}

/**
 * The segment a new recording starts in: 0 (the path itself) when it is free or `overwrite` is set, else the
 * next free out-N name, said in one line. A recording is never replaced unless asked to.
 */
export function firstSegment(spec: string, path: string, overwrite: boolean, log: Logger): number {
  checkRecordingFolder(spec, path);
  const n = overwrite ? 0 : freeSegment(path);
  if (n) log.info({ io: spec, file: segmentPath(path, n) }, `${path} exists; recording into ${segmentPath(path, n)} instead (add ?overwrite=1 to replace it)`);
  return n;
}

import { extname, join } from 'node:path';
import { ControlError } from '../control/space/values.js';
import { FFMPEG_OPTION_KEYS, isStreamUrl } from '../io/ffmpeg/args.js';
import { freeSegment, segmentPath } from '../io/recording-path.js';
import { parseSpec } from '../io/registry.js';
import { parseTarget } from '../io/spec-target.js';

/** Transports that write no file whatever their target names: a ring, a sender, a network name. */
const NETWORK_SAFE_SCHEMES = new Set(['shm', 'spout', 'syphon', 'ndi']);

/** A recording's name inside recordings.folder: no folders, no "..", no ?options. */
export const RECORDING_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Containers record/start writes (through ffmpeg), and .rgba for headerless RGBA8 (raw:); no extension is .mkv. */
const RECORDING_EXTENSIONS = new Set(['.mkv', '.mp4', '.mov', '.m4v', '.ts', '.rgba']);
const DEFAULT_EXTENSION = '.mkv';

/**
 * An output added over OSC or HTTP may not write a file anywhere on the machine: shm, Spout, Syphon and NDI
 * outputs, and ffmpeg network streams (srt/udp/rtp/tcp/rtsp/rtmp URLs, without `format=`: a muxer such as tee
 * could write files). Files are recordings, by name, in recordings.folder (record/start).
 */
export function checkNetworkOutput(spec: string): void {
  const { transport, target } = parseSpec(spec, 'output');
  if (NETWORK_SAFE_SCHEMES.has(transport.scheme)) return;
  if (transport.scheme === 'ffmpeg') {
    const { path, options } = parseTarget(target, FFMPEG_OPTION_KEYS);
    if (isStreamUrl(path) && !options.has('format') && !path.includes('|')) return;
  }
  throw new ControlError('not_allowed', `output ${spec}: over OSC or HTTP an output may not write files (allowed: shm:, spout:, syphon:, ndi:, ffmpeg: network streams without format=); record with record/start NAME, or list the output in the config file`);
}

/** A name for a recording started without one: sdlive-2026-12-01T12-30-05.mkv (local time). */
export function defaultRecordingName(now = new Date()): string {
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 19).replaceAll(':', '-');
  return `sdlive-${local}${DEFAULT_EXTENSION}`;
}

/** The output spec that records NAME in `folder`, at the first free name (name, name-1, ...): never over a file. */
export function recordingSpec(folder: string, name: string): { spec: string; file: string } {
  if (!RECORDING_NAME.test(name) || name.includes('..')) throw new ControlError('bad_type', `recording name ${JSON.stringify(name)}: letters, digits, ".", "_" and "-" only (a file in recordings.folder)`);
  const ext = extname(name).toLowerCase();
  const named = ext ? name : `${name}${DEFAULT_EXTENSION}`;
  if (ext && !RECORDING_EXTENSIONS.has(ext)) throw new ControlError('bad_type', `recording name ${name}: use ${[...RECORDING_EXTENSIONS].join(', ')} (or none for ${DEFAULT_EXTENSION})`);
  const path = join(folder, named);
  const file = segmentPath(path, freeSegment(path));
  return { spec: `${ext === '.rgba' ? 'raw' : 'file'}:${file}`, file };
}

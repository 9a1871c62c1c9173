import { existsSync } from 'node:fs';
import { SdliveError } from '../../errors.js';
import { parseTarget } from '../spec-target.js';
import type { Transport } from '../transport.js';
import { FFMPEG_OPTION_KEYS } from './args.js';
import { FfmpegSink } from './sink.js';
import { FfmpegSource } from './source.js';

function needsTarget(scheme: string, target: string): void {
  if (!target) throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', `${scheme}: needs a path, device or URL, e.g. ${scheme}:clip.mp4`);
}

/** Anything ffmpeg can open: cameras, network streams, files. */
export const ffmpegTransport: Transport = {
  scheme: 'ffmpeg',
  description: 'Anything ffmpeg reads or writes: cameras (/dev/video0), SRT/RTSP/UDP/RTMP streams, files, v4l2loopback.',
  examples: ['ffmpeg:/dev/video0', 'ffmpeg:srt://127.0.0.1:9999?mode=listener', 'ffmpeg:rtsp://cam.local/stream', 'ffmpeg:srt://127.0.0.1:9999', 'ffmpeg:udp://239.0.0.1:1234', 'ffmpeg:/dev/video10'],
  async openSource(target, ctx) {
    needsTarget('ffmpeg', target);
    return new FfmpegSource(`ffmpeg:${target}`, parseTarget(target, FFMPEG_OPTION_KEYS), ctx);
  },
  async openSink(target, ctx) {
    needsTarget('ffmpeg', target);
    return new FfmpegSink(`ffmpeg:${target}`, parseTarget(target, FFMPEG_OPTION_KEYS), ctx);
  },
};

/** Video files, still images and numbered image sequences, decoded and encoded through ffmpeg. */
export const fileTransport: Transport = {
  scheme: 'file',
  description: 'Video file (looped, real time), still image or image sequence in; video file or image sequence out (through ffmpeg).',
  examples: ['file:clip.mp4', 'file:clip.mp4?loop=0', 'file:photo.png', 'file:frames/%04d.png', 'file:out.mp4', 'file:out/%05d.png'],
  async openSource(target, ctx) {
    needsTarget('file', target);
    const parsed = parseTarget(target, FFMPEG_OPTION_KEYS);
    if (!parsed.path.includes('%') && !existsSync(parsed.path)) throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', `--input file:${target}: no such file`, 'input');
    return new FfmpegSource(`file:${target}`, parsed, ctx);
  },
  async openSink(target, ctx) {
    needsTarget('file', target);
    return new FfmpegSink(`file:${target}`, parseTarget(target, FFMPEG_OPTION_KEYS), ctx);
  },
};

import { extname } from 'node:path';
import { flagOption, type SpecTarget } from '../spec-target.js';

/** sdlive's own ?options on ffmpeg:/file: specs; anything else stays part of the URL. */
export const FFMPEG_OPTION_KEYS = ['format', 'codec', 'loop', 're', 'fps', 'overwrite'] as const;

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff', '.gif', '.exr', '.tga']);
const GLOBAL = ['-hide_banner', '-loglevel', 'error', '-nostdin'];

export const isUrl = (path: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(path);
/** Streams whose sender may restart at any time: probed in a few bytes, so frames come ~0.3 s after the first packet. */
export const isStreamUrl = (path: string): boolean => /^(udp|rtp|srt|tcp|rtsp|rtmps?):\/\//i.test(path);
const isDevice = (path: string): boolean => /^\/dev\/video\d+$/.test(path);
/** An output that is a file or an image sequence, not a stream or a device: it keeps every frame. */
export const isRecording = (path: string): boolean => !isUrl(path) && !path.startsWith('/dev/');
/** Capture devices: live like a URL, never read with -re or looped. */
const DEVICE_FORMATS = new Set(['v4l2', 'video4linux2', 'dshow', 'avfoundation', 'x11grab', 'gdigrab', 'kmsgrab', 'decklink', 'pulse', 'alsa']);
/** One still image or a numbered sequence (frames/%04d.png): read by ffmpeg's image2 demuxer. */
export const isImage = (path: string): boolean => path.includes('%') || IMAGE_EXTENSIONS.has(extname(path).toLowerCase());

export interface InputPlan {
  args: string[];
  /** Whether ffmpeg ending on its own is normal (a file played once) rather than a failure to restart. */
  endsByItself: boolean;
  /** A camera or a stream: it can vanish and come back at any moment. */
  live: boolean;
}

/**
 * ffmpeg arguments that decode `target` to raw RGBA on stdout, scaled and letterboxed on the ffmpeg side to
 * exactly width x height (so a source resized on the fly needs no restart: ffmpeg rebuilds its filters).
 * Files play in real time (-re) and loop unless ?loop=0; devices and URLs are read with low buffering.
 */
export function inputArgs(t: SpecTarget, width: number, height: number, fps: number): InputPlan {
  const path = t.path;
  const pre: string[] = [];
  const format = t.options.get('format');
  const loop = flagOption(t, 'loop', true);
  const live = isUrl(path) || isDevice(path) || DEVICE_FORMATS.has(format ?? '');
  // Not -fflags nobuffer on a stream: it discards the packets read while probing, the first key frame with them.
  if (isStreamUrl(path)) pre.push('-flags', 'low_delay', '-probesize', '32', '-analyzeduration', '0');
  else if (live) pre.push('-fflags', 'nobuffer', '-flags', 'low_delay');
  if (!live && flagOption(t, 're', true)) pre.push('-re');
  if (isDevice(path) && !format && process.platform === 'linux') pre.push('-f', 'v4l2');
  if (format) pre.push('-f', format);
  if (!live && isImage(path)) pre.push('-framerate', String(t.options.get('fps') ?? fps), ...(loop ? ['-loop', '1'] : []));
  else if (!live && loop) pre.push('-stream_loop', '-1');
  const fit = `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,format=rgba`;
  return {
    // Each decoded frame once: a variable-rate file (sdlive's own recordings) must not be filled up to a constant rate.
    args: [...GLOBAL, ...pre, '-i', path, '-an', '-vf', fit, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'],
    endsByItself: !live && !loop,
    live,
  };
}

const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p'];
const STREAM_FORMATS: Record<string, string> = { srt: 'mpegts', udp: 'mpegts', tcp: 'mpegts', rtp: 'rtp_mpegts', rtsp: 'rtsp', rtmp: 'flv', rtmps: 'flv' };
const H264_FILES = new Set(['.mp4', '.mov', '.mkv', '.m4v', '.ts', '.flv']);
/** Containers that store each frame's own time: frames are kept once, at the moment they arrived. */
const VFR_FILES = new Set(['.mp4', '.mov', '.mkv', '.m4v', '.webm', '.ts', '.flv']);

/**
 * Timing of the raw pipe. Frames arrive at the engine's pace, not at a fixed rate, so ffmpeg stamps each by
 * the wall clock (µs, so a burst of frames read at once stays distinct) and a recording lasts as long as the show did: containers that can hold
 * variable frame rates keep each frame once (-fps_mode vfr), streams and devices get a constant rate
 * (?fps=N, else the context's) by duplicating or dropping frames. Image sequences write every frame.
 */
function timing(t: SpecTarget, fps: number): { input: string[]; output: string[] } {
  const rate = t.options.get('fps');
  if (isImage(t.path)) return { input: ['-r', rate ?? String(fps)], output: [] };
  const wallClock = ['-use_wallclock_as_timestamps', '1', '-framerate', '1000000'];
  const vfr = !rate && !isUrl(t.path) && !isDevice(t.path) && VFR_FILES.has(extname(t.path).toLowerCase());
  return { input: wallClock, output: vfr ? ['-fps_mode', 'vfr', '-enc_time_base', '-1'] : ['-fps_mode', 'cfr', '-r', rate ?? String(fps)] };
}

/** ffmpeg arguments that read raw RGBA frames of width x height on stdin and encode them to `target`. */
export function outputArgs(t: SpecTarget, width: number, height: number, fps: number): string[] {
  const path = t.path;
  const time = timing(t, fps);
  const input = [...time.input, '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${width}x${height}`, '-i', 'pipe:0'];
  const codec = t.options.get('codec');
  const format = t.options.get('format');
  let out: string[];
  if (isDevice(path)) out = ['-pix_fmt', 'yuv420p', '-f', format ?? 'v4l2'];
  else if (isUrl(path)) {
    const scheme = path.slice(0, path.indexOf(':')).toLowerCase();
    out = [...H264, '-f', format ?? STREAM_FORMATS[scheme] ?? 'mpegts'];
  } else out = [...(H264_FILES.has(extname(path).toLowerCase()) ? H264 : []), ...(format ? ['-f', format] : [])];
  if (codec) out = [...out.filter((_, i, a) => a[i] !== '-c:v' && a[i - 1] !== '-c:v'), '-c:v', codec];
  return [...GLOBAL, '-y', ...input, '-an', ...time.output, ...out, path];
}

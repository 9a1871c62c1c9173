import { join } from 'node:path';
import koffi, { type LibraryHandle } from 'koffi';
import { SdliveError } from '../../errors.js';
import type { Frame } from '../frame.js';

/** A koffi type: a name ('int'), a struct or pointer object, or an in/out marker. */
export type TypeSpec = Parameters<typeof koffi.sizeof>[0] | ReturnType<typeof koffi.out>;

/*
 * The slice of the NDI 6 C API sdlive uses (Processing.NDI.Lib.h and the headers it includes: structs, Find,
 * Recv, Send), as its structs and functions are declared there. koffi lays the structs out with the platform's C
 * rules, as the SDK's compiler does.
 */
const Source = koffi.struct('NDIlib_source_t', { p_ndi_name: 'const char *', p_url_address: 'const char *' });
const SendCreate = koffi.struct('NDIlib_send_create_t', { p_ndi_name: 'const char *', p_groups: 'const char *', clock_video: 'bool', clock_audio: 'bool' });
const FindCreate = koffi.struct('NDIlib_find_create_t', { show_local_sources: 'bool', p_groups: 'const char *', p_extra_ips: 'const char *' });
const RecvCreateV3 = koffi.struct('NDIlib_recv_create_v3_t', {
  source_to_connect_to: Source, color_format: 'int', bandwidth: 'int', allow_video_fields: 'bool', p_ndi_recv_name: 'const char *',
});
const VideoFrameV2 = koffi.struct('NDIlib_video_frame_v2_t', {
  xres: 'int', yres: 'int', FourCC: 'uint32_t', frame_rate_N: 'int', frame_rate_D: 'int', picture_aspect_ratio: 'float',
  frame_format_type: 'int', timecode: 'int64_t', p_data: 'uint8_t *', line_stride_in_bytes: 'int', p_metadata: 'const char *', timestamp: 'int64_t',
});

/** Each function sdlive calls: [return type, parameter types], as the header declares it. */
export const NDI_SIGNATURES = {
  NDIlib_initialize: ['bool', []],
  NDIlib_send_create: ['void *', [koffi.pointer(SendCreate)]],
  NDIlib_send_destroy: ['void', ['void *']],
  NDIlib_send_send_video_v2: ['void', ['void *', koffi.pointer(VideoFrameV2)]],
  NDIlib_find_create_v2: ['void *', [koffi.pointer(FindCreate)]],
  NDIlib_find_destroy: ['void', ['void *']],
  NDIlib_find_get_current_sources: ['void *', ['void *', koffi.out(koffi.pointer('uint32_t'))]],
  NDIlib_recv_create_v3: ['void *', [koffi.pointer(RecvCreateV3)]],
  NDIlib_recv_destroy: ['void', ['void *']],
  NDIlib_recv_capture_v2: ['int', ['void *', koffi.out(koffi.pointer(VideoFrameV2)), 'void *', 'void *', 'uint32_t']],
  NDIlib_recv_free_video_v2: ['void', ['void *', koffi.pointer(VideoFrameV2)]],
} as const satisfies Record<string, readonly [TypeSpec, readonly TypeSpec[]]>;

export type NdiFunction = keyof typeof NDI_SIGNATURES;

/** A callable for one of the library's functions (koffi's lib.func, or a function pointer in tests). */
export type NdiBinder = (name: NdiFunction, result: TypeSpec, params: TypeSpec[]) => (...args: unknown[]) => unknown;

const fourcc = (code: string) => code.split('').reduce((n, c, i) => n | (c.charCodeAt(0) << (8 * i)), 0) >>> 0;
export const FOURCC = { RGBA: fourcc('RGBA'), RGBX: fourcc('RGBX'), BGRA: fourcc('BGRA'), BGRX: fourcc('BGRX') } as const;
export const FRAME_TYPE = { none: 0, video: 1, error: 4 } as const;
const RECV_COLOR_RGBX_RGBA = 2;
const RECV_BANDWIDTH_HIGHEST = 100;
const FRAME_FORMAT_PROGRESSIVE = 1;
const TIMECODE_SYNTHESIZE = 0x7fffffffffffffffn;

type Handle = unknown;
type VideoFrame = { xres: number; yres: number; FourCC: number; p_data: unknown; line_stride_in_bytes: number };

/** What a receive gave: a frame (copied out of the library's buffer, RGBA), nothing new, or a lost connection. */
export type Capture = { kind: 'frame'; frame: Frame } | { kind: 'none' } | { kind: 'error' };

/** The calls sources and sinks make; tests put a fake library under it, at the C boundary. */
export interface NdiApi {
  sendCreate(name: string): Handle;
  sendVideo(sender: Handle, frame: Frame, fps: number): void;
  sendDestroy(sender: Handle): void;
  findCreate(): Handle;
  /** The names of the sources on the network now ("MACHINE (NAME)"). */
  currentSources(finder: Handle): string[];
  findDestroy(finder: Handle): void;
  recvCreate(sourceName: string): Handle;
  capture(recv: Handle): Capture;
  recvDestroy(recv: Handle): void;
}

/** Rows of `stride` bytes (RGBA/RGBX; BGRA/BGRX swapped) into a tightly packed RGBA frame. */
function copyFrame(video: VideoFrame): Frame {
  const { xres: width, yres: height, line_stride_in_bytes: stride } = video;
  const rowBytes = width * 4;
  const src = new Uint8Array(koffi.view(video.p_data, (stride || rowBytes) * height));
  const data = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) data.set(src.subarray(y * (stride || rowBytes), y * (stride || rowBytes) + rowBytes), y * rowBytes);
  if (video.FourCC === FOURCC.BGRA || video.FourCC === FOURCC.BGRX) {
    for (let i = 0; i < data.length; i += 4) [data[i], data[i + 2]] = [data[i + 2]!, data[i]!];
  }
  if (video.FourCC === FOURCC.RGBX || video.FourCC === FOURCC.BGRX) for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { width, height, data, timestamp: performance.now() };
}

const RECEIVABLE = new Set<number>(Object.values(FOURCC));

export function ndiApi(bind: NdiBinder): NdiApi {
  const fn = Object.fromEntries(Object.entries(NDI_SIGNATURES).map(([name, [ret, params]]) => [name, bind(name as NdiFunction, ret, [...params])])) as Record<NdiFunction, (...args: unknown[]) => unknown>;
  fn.NDIlib_initialize();
  return {
    sendCreate: (name) => fn.NDIlib_send_create({ p_ndi_name: name, p_groups: null, clock_video: false, clock_audio: false }),
    sendVideo: (sender, frame, fps) => void fn.NDIlib_send_send_video_v2(sender, {
      xres: frame.width, yres: frame.height, FourCC: FOURCC.RGBA, frame_rate_N: Math.round(fps * 1000), frame_rate_D: 1000,
      picture_aspect_ratio: 0, frame_format_type: FRAME_FORMAT_PROGRESSIVE, timecode: TIMECODE_SYNTHESIZE,
      p_data: frame.data, line_stride_in_bytes: frame.width * 4, p_metadata: null, timestamp: 0,
    }),
    sendDestroy: (sender) => void fn.NDIlib_send_destroy(sender),
    findCreate: () => fn.NDIlib_find_create_v2({ show_local_sources: true, p_groups: null, p_extra_ips: null }),
    currentSources: (finder) => {
      const count = [0];
      const list = fn.NDIlib_find_get_current_sources(finder, count);
      if (!list || !count[0]) return [];
      return (koffi.decode(list, Source, count[0]) as { p_ndi_name: string | null }[]).map((s) => s.p_ndi_name ?? '');
    },
    findDestroy: (finder) => void fn.NDIlib_find_destroy(finder),
    recvCreate: (sourceName) => fn.NDIlib_recv_create_v3({
      source_to_connect_to: { p_ndi_name: sourceName, p_url_address: null }, color_format: RECV_COLOR_RGBX_RGBA,
      bandwidth: RECV_BANDWIDTH_HIGHEST, allow_video_fields: false, p_ndi_recv_name: 'sdlive',
    }),
    capture: (recv) => {
      const video = {} as VideoFrame;
      const type = fn.NDIlib_recv_capture_v2(recv, video, null, null, 0) as number;
      if (type === FRAME_TYPE.error) return { kind: 'error' };
      if (type !== FRAME_TYPE.video) return { kind: 'none' };
      try {
        return RECEIVABLE.has(video.FourCC) ? { kind: 'frame', frame: copyFrame(video) } : { kind: 'none' };
      } finally {
        fn.NDIlib_recv_free_video_v2(recv, video);
      }
    },
    recvDestroy: (recv) => void fn.NDIlib_recv_destroy(recv),
  };
}

/** The runtime's file name on this OS (Processing.NDI.Lib.h: NDILIB_LIBRARY_NAME). */
export const NDI_LIBRARY_NAME = process.platform === 'win32' ? 'Processing.NDI.Lib.x64.dll' : process.platform === 'darwin' ? 'libndi.dylib' : 'libndi.so.6';

export const NDI_RUNTIME_HINT = 'install the NDI 6 runtime (never bundled with sdlive): Windows: NDI Tools or the runtime from https://ndi.link/NDIRedistV6; macOS: https://ndi.link/NDIRedistV6Apple; Linux: libndi.so.6 from the NDI SDK for Linux (https://ndi.video/for-developers/ndi-sdk/) on the library path; or set NDI_RUNTIME_DIR_V6 to the folder holding it';

/** NDI_RUNTIME_DIR_V6 (set by the NDI runtime installers) joined with the library name, else the name on the search path. */
export const ndiLibraryPath = (env: NodeJS.ProcessEnv = process.env): string => (env.NDI_RUNTIME_DIR_V6 ? join(env.NDI_RUNTIME_DIR_V6, NDI_LIBRARY_NAME) : NDI_LIBRARY_NAME);

/** Where a spec came from: the config field and its flag. */
export type NdiUse = { field: 'input' | 'outputs'; spec: string };

/** Loads the user's NDI runtime; missing, it is SDL_ERR_TRANSPORT_UNAVAILABLE naming the spec, its field and where to get the runtime. */
export function loadNdi({ field, spec }: NdiUse, path = ndiLibraryPath()): NdiApi {
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (e) {
    const flag = field === 'input' ? '--input' : '--output';
    throw new SdliveError('SDL_ERR_TRANSPORT_UNAVAILABLE', `${flag} ${spec} (config field "${field}"): NDI runtime not found (${path}: ${(e as Error).message.split('\n')[0]}); ${NDI_RUNTIME_HINT}`, field);
  }
  return ndiApi((name, result, params) => lib.func(name, result, params));
}

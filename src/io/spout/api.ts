import koffi, { type LibraryHandle, type TypeObject } from 'koffi';
import { SdliveError } from '../../errors.js';
import { GL_RGBA, SPOUT_SIGNATURES, vtableIndex, type SpoutMethod } from './vtable.js';

/**
 * The part of SpoutLibrary sdlive uses, one method per vtable call. Sources and sinks talk only to this, so
 * tests can put a fake exactly at the FFI boundary.
 */
export interface SpoutApi {
  setSenderName(name: string): void;
  /** Creates or updates the sender as needed and shares tightly packed RGBA pixels. */
  sendImage(pixels: Uint8Array, width: number, height: number): boolean;
  releaseSender(): void;
  /** Pins the receiver to a sender name; an empty name follows the active sender. */
  setReceiverName(name: string): void;
  /** Copies the sender's frame into `pixels` (width*height*4 of the last known sender size). */
  receiveImage(pixels: Uint8Array): boolean;
  isUpdated(): boolean;
  isConnected(): boolean;
  isFrameNew(): boolean;
  getSenderName(): string;
  getSenderWidth(): number;
  getSenderHeight(): number;
  releaseReceiver(): void;
  /** Releases the library instance; the object must not be used afterwards. */
  release(): void;
}

type Invoke = (method: SpoutMethod, ...args: unknown[]) => unknown;

/** Calls C++ virtual methods of the object at `self`: vtable pointer first, then each slot's function pointer. */
function vtableInvoker(self: unknown): Invoke {
  const convention = process.arch === 'ia32' ? '__thiscall' : '';
  const vtable: unknown = koffi.decode(self, 'void *');
  const cache = new Map<SpoutMethod, { fn: unknown; proto: TypeObject }>();
  return (method, ...args) => {
    let entry = cache.get(method);
    if (!entry) {
      const [ret, params] = SPOUT_SIGNATURES[method];
      const proto = convention ? koffi.proto(convention, `Spout_${method}`, ret, ['void *', ...params]) : koffi.proto(`Spout_${method}`, ret, ['void *', ...params]);
      entry = { fn: koffi.decode(vtable, vtableIndex(method) * koffi.sizeof('void *'), 'void *'), proto };
      cache.set(method, entry);
    }
    return koffi.call(entry.fn, entry.proto, self, ...args);
  };
}

/**
 * SpoutApi over a SPOUTLIBRARY object pointer (from GetSpout(), or a fake vtable in tests). A headless process has
 * no OpenGL context, so SpoutLibrary is asked first to make a hidden one (no window) for its pixel transfers.
 */
export function spoutApiFromObject(self: unknown): SpoutApi {
  const call = vtableInvoker(self);
  call('CreateOpenGL', null);
  return {
    setSenderName: (name) => void call('SetSenderName', name),
    sendImage: (pixels, width, height) => call('SendImage', pixels, width, height, GL_RGBA, false) as boolean,
    releaseSender: () => void call('ReleaseSender', 0),
    setReceiverName: (name) => void call('SetReceiverName', name || null),
    receiveImage: (pixels) => call('ReceiveImage', pixels, GL_RGBA, false, 0) as boolean,
    isUpdated: () => call('IsUpdated') as boolean,
    isConnected: () => call('IsConnected') as boolean,
    isFrameNew: () => call('IsFrameNew') as boolean,
    getSenderName: () => (call('GetSenderName') as string | null) ?? '',
    getSenderWidth: () => call('GetSenderWidth') as number,
    getSenderHeight: () => call('GetSenderHeight') as number,
    releaseReceiver: () => void call('ReleaseReceiver'),
    release: () => {
      call('CloseOpenGL');
      call('Release');
    },
  };
}

export const SPOUT_LIBRARY_HINT = 'download SpoutLibrary.dll (Spout2 release 2.007.017, SPOUTSDK/SpoutLibrary/Binaries/x64) and pass spout:NAME?lib=C:/path/SpoutLibrary.dll or set SDLIVE_SPOUT_LIBRARY';

/** The library path from ?lib=, else SDLIVE_SPOUT_LIBRARY, else SpoutLibrary.dll on the DLL search path. */
export const spoutLibraryPath = (lib: string | undefined): string => lib || process.env.SDLIVE_SPOUT_LIBRARY || 'SpoutLibrary.dll';

/** Loads SpoutLibrary.dll and creates one SPOUTLIBRARY instance (one per sender or receiver). */
export function loadSpout(path: string): SpoutApi {
  if (process.platform !== 'win32') {
    throw new SdliveError('SDL_ERR_TRANSPORT_UNAVAILABLE', `Spout needs Windows (this is ${process.platform}); use shm: or ffmpeg: here, or syphon: on macOS`, 'spout');
  }
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (e) {
    throw new SdliveError('SDL_ERR_TRANSPORT_UNAVAILABLE', `cannot load ${path} (${(e as Error).message}): ${SPOUT_LIBRARY_HINT}`, 'spout');
  }
  const getSpout = lib.func('void * __stdcall GetSpout()');
  const self: unknown = getSpout();
  if (!self) throw new SdliveError('SDL_ERR_TRANSPORT_UNAVAILABLE', `${path}: GetSpout() returned null`, 'spout');
  return spoutApiFromObject(self);
}

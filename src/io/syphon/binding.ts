import { SdliveError } from '../../errors.js';

/** A Syphon server as listed by node-syphon's SyphonServerDirectory. */
export interface SyphonServerDescription {
  SyphonServerDescriptionNameKey?: string;
  SyphonServerDescriptionAppNameKey?: string;
  SyphonServerDescriptionUUIDKey?: string;
}

interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The slice of the node-syphon module sdlive uses (OpenGL server and client, server directory). Tests replace
 * the whole module with a fake of this shape; the real one is imported only when a syphon: spec is opened.
 */
export interface NodeSyphonModule {
  SyphonOpenGLServer: new (name: string) => {
    publishImageData(data: Uint8ClampedArray, target: string, region: Region, size: { width: number; height: number }, flipped: boolean): void;
    dispose(): void;
  };
  SyphonOpenGLClient: new (server: SyphonServerDescription) => {
    on(channel: 'frame', callback: (frame: unknown) => void): void;
    /** node-syphon before 0.6 only, whose frame events were bare pixel arrays. */
    readonly width?: number;
    readonly height?: number;
    dispose(): void;
  };
  SyphonServerDirectory: new () => {
    readonly servers: SyphonServerDescription[];
    listen(): void;
    dispose(): void;
  };
}

export const NODE_SYPHON_HINT = 'npm install node-syphon (GPL-3.0, macOS only; sdlive loads it only when a syphon: spec is used)';

/** node-syphon is GPL, so it is never a dependency: it is loaded from the user's install when asked for. */
export async function loadNodeSyphon(): Promise<NodeSyphonModule> {
  if (process.platform !== 'darwin') {
    throw new SdliveError('SDL_ERR_TRANSPORT_UNAVAILABLE', `Syphon needs macOS (this is ${process.platform}); use spout: on Windows, shm: or ffmpeg: elsewhere`, 'syphon');
  }
  const specifier = 'node-syphon';
  try {
    const mod = (await import(specifier)) as NodeSyphonModule & { default?: NodeSyphonModule };
    return mod.SyphonOpenGLServer ? mod : mod.default!;
  } catch (e) {
    throw new SdliveError('SDL_ERR_TRANSPORT_UNAVAILABLE', `node-syphon is not installed (${(e as Error).message.split('\n')[0]}): ${NODE_SYPHON_HINT}`, 'syphon');
  }
}

/**
 * A client's frame event carries {buffer, width, height} (node-syphon 0.6 and later), or the bare pixels of the
 * client's size (before 0.6); a frame of unknown size is undefined.
 */
export function framePixels(frame: unknown, client: { width?: number; height?: number }): { data: Uint8Array; width: number; height: number } | undefined {
  const f = (ArrayBuffer.isView(frame) ? { buffer: frame } : frame) as { buffer?: unknown; data?: unknown; width?: number; height?: number } | null | undefined;
  if (!f || typeof f !== 'object') return undefined;
  const px = ArrayBuffer.isView(f.buffer) ? f.buffer : ArrayBuffer.isView(f.data) ? f.data : f.buffer instanceof ArrayBuffer ? new Uint8Array(f.buffer) : undefined;
  const width = f.width ?? client.width;
  const height = f.height ?? client.height;
  if (!px || width === undefined || height === undefined) return undefined;
  return { data: new Uint8Array(px.buffer, px.byteOffset, px.byteLength), width, height };
}

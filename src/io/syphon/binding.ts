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
    readonly width: number;
    readonly height: number;
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

/** A client's frame event carries either the pixels or {buffer|data, width, height}, depending on the node-syphon version. */
export function framePixels(frame: unknown, fallback: { width: number; height: number }): { data: Uint8Array; width: number; height: number } | undefined {
  if (ArrayBuffer.isView(frame)) return { data: new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength), ...fallback };
  if (!frame || typeof frame !== 'object') return undefined;
  const f = frame as { buffer?: unknown; data?: unknown; width?: number; height?: number };
  const px = ArrayBuffer.isView(f.buffer) ? f.buffer : ArrayBuffer.isView(f.data) ? f.data : f.buffer instanceof ArrayBuffer ? new Uint8Array(f.buffer) : undefined;
  if (!px) return undefined;
  return { data: new Uint8Array(px.buffer, px.byteOffset, px.byteLength), width: f.width ?? fallback.width, height: f.height ?? fallback.height };
}

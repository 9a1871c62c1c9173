import { SdliveError } from '../errors.js';
import { didYouMeanSuffix } from '../util/did-you-mean.js';
import { ffmpegTransport, fileTransport } from './ffmpeg/transport.js';
import { ndiTransport } from './ndi/transport.js';
import { rawFileTransport } from './raw-file.js';
import { shmTransport } from './shm/transport.js';
import { spoutTransport } from './spout/transport.js';
import { syphonTransport } from './syphon/transport.js';
import { testPatternTransport } from './test-pattern.js';
import type { FrameSink, FrameSource, Transport, TransportContext } from './transport.js';

export const TRANSPORTS: Readonly<Record<string, Transport>> = Object.freeze(
  Object.fromEntries([testPatternTransport, rawFileTransport, shmTransport, ffmpegTransport, fileTransport, spoutTransport, syphonTransport, ndiTransport].map((t) => [t.scheme, t])),
);

export interface ParsedSpec {
  transport: Transport;
  target: string;
}

/** "scheme:target" -> the transport and its target; a Windows drive letter is not a scheme. */
export function parseSpec(spec: string, direction: 'input' | 'output'): ParsedSpec {
  const m = /^([a-z][a-z0-9+-]*):(.*)$/i.exec(spec);
  const scheme = m?.[1]?.toLowerCase() ?? '';
  const transport = TRANSPORTS[scheme];
  const canDo = direction === 'input' ? transport?.openSource : transport?.openSink;
  if (!m || scheme.length < 2 || !transport || !canDo) {
    const usable = Object.values(TRANSPORTS).filter((t) => (direction === 'input' ? t.openSource : t.openSink)).map((t) => t.scheme);
    throw new SdliveError(
      'SDL_ERR_TRANSPORT_SPEC',
      `--${direction} "${spec}": ${!m ? 'expected scheme:target' : `no ${direction} transport "${scheme}"`}${didYouMeanSuffix(scheme, usable, (h) => `${h}:`)}; available: ${usable.join(', ')}`,
      direction,
    );
  }
  return { transport, target: m[2]! };
}

export async function openSource(spec: string, ctx: TransportContext): Promise<FrameSource> {
  const { transport, target } = parseSpec(spec, 'input');
  return transport.openSource!(target, ctx);
}

export async function openSink(spec: string, ctx: TransportContext): Promise<FrameSink> {
  const { transport, target } = parseSpec(spec, 'output');
  return transport.openSink!(target, ctx);
}

import type { WebSocket } from 'ws';
import type { Engine } from '../engine/engine.js';
import type { Frame } from '../io/frame.js';
import { downscale } from './downscale.js';

/** Which picture a preview message carries (first byte). */
export const PREVIEW_KIND = { input: 0, output: 1 } as const;
const HEADER_BYTES = 8;

/** [kind u8, 0, 0, 0, width u16 LE, height u16 LE] + RGBA8 rows: drawn in the page with putImageData. */
export function previewMessage(kind: number, frame: Frame): Buffer {
  const small = downscale(frame);
  const msg = Buffer.alloc(HEADER_BYTES + small.data.length);
  msg.writeUInt8(kind, 0);
  msg.writeUInt16LE(small.width, 4);
  msg.writeUInt16LE(small.height, 6);
  msg.set(small.data, HEADER_BYTES);
  return msg;
}

/**
 * The `/preview` WebSocket: downscaled input and output frames at up to `fps`, only while someone watches; a
 * client still busy with the last picture is skipped (never a queue).
 */
export class PreviewFeed {
  private readonly clients = new Set<WebSocket>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly engine: Engine, private readonly fps = 10) {}

  attach(ws: WebSocket): void {
    this.clients.add(ws);
    ws.on('close', () => this.detach(ws));
    ws.on('error', () => this.detach(ws));
    this.timer ??= setInterval(() => this.tick(), 1000 / this.fps);
  }

  private detach(ws: WebSocket): void {
    this.clients.delete(ws);
    if (this.clients.size === 0) this.close();
  }

  private tick(): void {
    const pictures = [[PREVIEW_KIND.input, this.engine.input], [PREVIEW_KIND.output, this.engine.output]] as const;
    for (const [kind, frame] of pictures) {
      if (!frame) continue;
      const msg = previewMessage(kind, frame);
      for (const ws of this.clients) if (ws.bufferedAmount < msg.length) ws.send(msg);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

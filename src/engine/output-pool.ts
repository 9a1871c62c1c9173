import type { OutputBuffers } from '../pipelines/pipeline.js';
import type { Frame } from '../io/frame.js';
import { ownedCopy } from './worker-protocol.js';

const MAX_SPARES = 4;

/**
 * The worker's output buffers: handed to the pipeline by take(), transferred to the main thread with the
 * result without a copy, and given back by the main thread once no sink reads them any more.
 */
export class OutputPool implements OutputBuffers {
  private readonly spares: ArrayBuffer[] = [];
  private readonly taken = new WeakSet<ArrayBuffer>();

  take(byteLength: number): Uint8Array {
    const i = this.spares.findIndex((b) => b.byteLength === byteLength);
    const buffer = i >= 0 ? this.spares.splice(i, 1)[0]! : new ArrayBuffer(byteLength);
    this.taken.add(buffer);
    return new Uint8Array(buffer);
  }

  give(buffers: readonly ArrayBuffer[]): void {
    for (const b of buffers) if (b.byteLength > 0 && this.spares.length < MAX_SPARES) this.spares.push(b);
  }

  /** The frame itself when its data is a whole buffer from take(); otherwise a copy the main thread can own. */
  handOver(frame: Frame): Frame {
    const { buffer, byteOffset, byteLength } = frame.data;
    const whole = byteOffset === 0 && byteLength === buffer.byteLength;
    if (whole && this.taken.has(buffer as ArrayBuffer)) {
      this.taken.delete(buffer as ArrayBuffer);
      return frame;
    }
    return ownedCopy(frame);
  }
}

import type * as ort from 'onnxruntime-node';
import type { Transfers } from './sd-models.js';

type Fetches = Record<string, ort.Tensor> | string[];

/**
 * Counts what crosses between the host and the provider at every session run: an input in host memory goes up,
 * an output in host memory comes down (on the CPU provider that is every input and output; on webgpu a
 * gpu-buffer tensor crosses nothing). Every session run of the models goes through run().
 */
export class TransferCounter {
  private counts: Transfers = empty();

  async run(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, fetches?: Fetches): Promise<ort.InferenceSession.ReturnType> {
    for (const t of Object.values(feeds)) this.add('up', t);
    const out = await (fetches ? session.run(feeds, fetches) : session.run(feeds));
    for (const t of Object.values(out)) this.add('down', t);
    return out;
  }

  /** Host buffers a session read or wrote outside run() accounting (the pixel processors' bound buffers). */
  addBytes(way: keyof Transfers, bytes: number): void {
    this.counts[way].tensors++;
    this.counts[way].bytes += bytes;
  }

  take(): Transfers {
    const counts = this.counts;
    this.counts = empty();
    return counts;
  }

  private add(way: keyof Transfers, t: ort.Tensor): void {
    if (t.location === 'cpu') this.addBytes(way, (t.data as ArrayBufferView).byteLength);
  }
}

function empty(): Transfers {
  return { up: { tensors: 0, bytes: 0 }, down: { tensors: 0, bytes: 0 } };
}

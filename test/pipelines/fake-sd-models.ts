import type { Conditioning, ModelDialect, SdModels, TensorF32, UnetInputs } from '../../src/models/sd-models.js';

/**
 * A deterministic SdModels in plain JS arithmetic, at the exact boundary the pipeline talks to. Every UNet
 * call is recorded, and each batch element's prediction depends only on that element (like a real UNet), so
 * independent reference computations in the tests can call `predictNoise` slot by slot.
 */
export const FAKE_DIALECT: ModelDialect = {
  textWidth: 6, family: 'sd', timestepCondWidth: 0, bosId: 1, eosId: 2, padId: 0, maxTokens: 8, textInputType: 'int32',
  unetTimestep: { type: 'int64', rank: 1 }, batchedTimestep: true, fp16: false,
  vaeEncoderOutput: 'latent', vaeRange: 'minus_one_one', vaeScaling: 1, latentChannels: 4,
};

export interface UnetCall {
  dims: number[];
  timesteps: number[];
  /** Each batch element's embedding at token position 1, channel 0: identifies which prompt it carries. */
  embeddingIds: number[];
}

/** Fake text encoder: token id and position -> a value; position 0..T-1, channel 0..W-1. */
export function fakeTokenEmbedding(id: number, position: number, channel: number): number {
  return Math.sin(id * 0.37 * (channel + 1) + position * 0.11) + 0.05 * channel;
}

/** Fake UNet for one batch element: eps = 0.3 x + 0.05 mean(embedding) + t/10000. */
export function predictNoise(x: ArrayLike<number>, timestep: number, embedding: ArrayLike<number>): Float32Array {
  let mean = 0;
  for (let j = 0; j < embedding.length; j++) mean += embedding[j]!;
  mean /= embedding.length;
  return Float32Array.from(x, (v) => 0.3 * v + 0.05 * mean + timestep / 10000);
}

export function fakeTokenize(text: string): number[] {
  return text.split(/\s+/).filter(Boolean).map((w) => 3 + ([...w].reduce((a, c) => a + c.charCodeAt(0), 0) % 997));
}

export class FakeSdModels implements SdModels {
  readonly dialect = FAKE_DIALECT;
  readonly provider = 'cpu' as const;
  readonly unetCalls: UnetCall[] = [];
  /** What vaeDecode received: the x0 latents the pipeline produced. */
  readonly decoded: TensorF32[] = [];
  vaeEncodeCount = 0;
  /** Makes the next UNet call throw (a lost GPU, a bad export) or return NaN (fp16 overflow). */
  nextUnetFault: 'throw' | 'nan' | undefined;
  encodeCount = 0;
  disposed = false;

  tokenize(text: string): number[] {
    return fakeTokenize(text);
  }

  async encodeText(ids: Int32Array, batch: number): Promise<Conditioning> {
    this.encodeCount++;
    const { maxTokens: T, textWidth: W } = this.dialect;
    const data = new Float32Array(batch * T * W);
    for (let k = 0; k < data.length; k++) data[k] = fakeTokenEmbedding(ids[Math.floor(k / W)]!, Math.floor(k / W) % T, k % W);
    return { encoder_hidden_states: { data, dims: [batch, T, W] } };
  }

  async unet({ sample: latents, timestep: timesteps, conditioning }: UnetInputs): Promise<TensorF32> {
    const embeddings = conditioning.encoder_hidden_states;
    const fault = this.nextUnetFault;
    this.nextUnetFault = undefined;
    if (fault === 'throw') throw new Error('fake unet failure');
    const b = latents.dims[0]!;
    const len = latents.data.length / b;
    const eLen = embeddings.data.length / embeddings.dims[0]!;
    assertEqual(timesteps.length, b, 'one timestep per batch element');
    assertEqual(embeddings.dims[0]!, b, 'one embedding per batch element');
    this.unetCalls.push({ dims: [...latents.dims], timesteps: [...timesteps], embeddingIds: Array.from({ length: b }, (_, i) => embeddings.data[i * eLen + embeddings.dims[2]!]!) });
    const out = new Float32Array(latents.data.length);
    for (let i = 0; i < b; i++) {
      out.set(predictNoise(latents.data.subarray(i * len, (i + 1) * len), timesteps[i]!, embeddings.data.subarray(i * eLen, (i + 1) * eLen)), i * len);
    }
    if (fault === 'nan') out[out.length - 1] = NaN;
    return { data: out, dims: [...latents.dims] };
  }

  /** [1,3,H,W] -> [1,4,H/8,W/8]: 8x8 means of R, G, B, and their average. */
  async vaeEncode(images: TensorF32): Promise<TensorF32> {
    this.vaeEncodeCount++;
    const [, , H, W] = images.dims as [number, number, number, number];
    const h = H / 8;
    const w = W / 8;
    const out = new Float32Array(4 * h * w);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const v = images.data[c * H * W + y * W + x]! / 64;
          out[c * h * w + Math.floor(y / 8) * w + Math.floor(x / 8)]! += v;
          out[3 * h * w + Math.floor(y / 8) * w + Math.floor(x / 8)]! += v / 3;
        }
      }
    }
    return { data: out, dims: [1, 4, h, w] };
  }

  /** [B,4,h,w] -> [B,3,8h,8w]: nearest upsampling of the first three channels. */
  async vaeDecode(latents: TensorF32): Promise<TensorF32> {
    this.decoded.push({ data: latents.data.slice(), dims: [...latents.dims] });
    const [b, , h, w] = latents.dims as [number, number, number, number];
    const H = h * 8;
    const W = w * 8;
    const out = new Float32Array(b * 3 * H * W);
    for (let k = 0; k < out.length; k++) {
      const x = k % W;
      const y = Math.floor(k / W) % H;
      const c = Math.floor(k / (W * H)) % 3;
      const n = Math.floor(k / (3 * W * H));
      out[k] = latents.data[((n * 4 + c) * h + Math.floor(y / 8)) * w + Math.floor(x / 8)]!;
    }
    return { data: out, dims: [b, 3, H, W] };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

function assertEqual(a: number, b: number, what: string): void {
  if (a !== b) throw new Error(`fake unet: ${what}: ${a} vs ${b}`);
}

/** The value UnetCall.embeddingIds shows for a plain (unweighted) prompt. */
export function embeddingId(text: string): number {
  return Math.fround(fakeTokenEmbedding(fakeTokenize(text)[0] ?? FAKE_DIALECT.eosId, 1, 0));
}

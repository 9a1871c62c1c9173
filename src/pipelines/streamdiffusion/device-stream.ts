import { SdliveError } from '../../errors.js';
import type { DeviceModels, DeviceTensor, GeneratedGraph } from '../../models/sd-models.js';
import { batchTimesteps, usesStockNoise } from './cfg.js';
import type { StageTime } from './image.js';
import { sliceSchedule, type SlotSchedule } from './schedule.js';
import { type LatentShape, type Renoise, stepCoefficients, stepGraph, stepLayout, type StepSpec, streamInGraph, type StreamInSpec, tracksStock, graphKey } from './step-graph.js';
import { type DenoiseStep, sequentialGuidance, stateFor, type StreamState, successors } from './stream-batch.js';

/** The stream state as device tensors: StreamState's three tensors, resident across frames. */
interface DeviceState {
  initNoise: DeviceTensor;
  stockNoise: DeviceTensor;
  /** Absent with one slot (no buffer). */
  latentBuffer: DeviceTensor | undefined;
}

/**
 * What the stream starts from: the encoder's raw output (img2img), with latent feedback blended into it the previous
 * frame's x0 as the decoder took it; or, for txt2img, init_noise itself (x_t = init_noise[0]).
 */
export type StreamSource = { latent: DeviceTensor; feedback?: { previous: DeviceTensor; amount: number } } | { noise: true };

function disposeAll(tensors: Readonly<Record<string, DeviceTensor | undefined>>): void {
  for (const t of Object.values(tensors)) t?.dispose();
}

function nonFinite(): SdliveError {
  return new SdliveError('SDL_ERR_NONFINITE', 'the denoised batch has a non-finite value (the device step\'s finite flag)');
}

const NO_RENOISE: Renoise = { alpha: [], beta: [] };

/**
 * Stream Batch and the sequential variant on the device (stream-batch.ts's streamBatch / sequentialDenoise, with the
 * step graphs of step-graph.ts): the latents, the UNet output and the stream state never come to the host.
 * The host StreamState stays the pipeline's record of seeds, slot count and warm-up; its tensors are the device
 * state's origin (uploaded when it is replaced), not a mirror. Results equal the host path's within float32
 * rounding (test/pipelines/step-graph.test.ts).
 */
export class DeviceStream {
  private state: DeviceState | undefined;
  private source: StreamState | undefined;
  private readonly graphs = new Map<string, GeneratedGraph>();

  constructor(
    private readonly device: DeviceModels,
    private readonly shape: LatentShape,
    private readonly vaeScaling: number,
  ) {}

  /** One Stream Batch call; returns the last slot's x0 as the decoder takes it. The state changes only after a finite step. */
  async streamBatch(from: StreamSource, host: StreamState, step: DenoiseStep, time: StageTime): Promise<DeviceTensor> {
    const st = await this.sync(host);
    const { schedule, guidance } = step;
    const n = schedule.timesteps.length;
    const layout = stepLayout(guidance);
    const batched: Record<string, DeviceTensor> = n > 1 ? { latent_buffer: st.latentBuffer!, stock_noise: st.stockNoise } : {};
    const prepared = await this.streamIn({ layout, slots: n, stock: n > 1 ? 'shift' : 'none' }, from, st, batched, schedule, time);
    const stock = prepared.device.stock_noise_shifted;
    const x = prepared.device.x!;
    const out = await this.step(
      { layout, slots: n, renoised: n - 1, nextNoise: [...Array.from({ length: n - 1 }, (_, i) => i + 1), 0] },
      prepared,
      { stock: stock ?? st.stockNoise, conditioning: step.conditioning, timesteps: batchTimesteps(guidance, schedule.timesteps) },
      stepCoefficients(guidance, schedule, usesStockNoise(guidance) ? successors(schedule) : undefined, { alpha: schedule.alpha.slice(1), beta: schedule.beta.slice(1) }, step.doAddNoise),
      time,
    )
      .catch((e: unknown) => {
        stock?.dispose();
        throw e;
      })
      .finally(() => x.dispose());
    const nextStock = out.next_stock_noise ?? stock;
    if (nextStock) this.replace(st, 'stockNoise', nextStock);
    if (out.next_stock_noise) stock?.dispose();
    if (n > 1) {
      this.replace(st, 'latentBuffer', out.renoised!);
      host.warmSlots = Math.min(n - 1, host.warmSlots + 1);
    }
    return out.decoder_latent!;
  }

  /** All n steps in this frame, one UNet call each (sequentialDenoise on the device); does not touch the state. */
  async sequential(from: StreamSource, host: StreamState, step: DenoiseStep, time: StageTime): Promise<DeviceTensor> {
    const st = await this.sync(host);
    const n = step.schedule.timesteps.length;
    const chain: { x?: DeviceTensor; stock?: DeviceTensor } = {};
    try {
      for (let i = 0; ; i++) {
        const s = sliceSchedule(step.schedule, i, i + 1);
        const { guidance, conditioning } = sequentialGuidance(step, i);
        const layout = stepLayout(guidance);
        const next = i < n - 1 ? sliceSchedule(step.schedule, i + 1, i + 2) : undefined;
        const prepared = await this.sequentialBatch(i, layout, from, chain, st, s, time);
        const tracked = next && usesStockNoise(guidance) ? next : undefined;
        const out = await this.step(
          { layout, slots: 1, renoised: next ? 1 : 0, nextNoise: [Math.min(i + 1, n - 1)] },
          prepared,
          { stock: chain.stock, conditioning, timesteps: batchTimesteps(guidance, s.timesteps) },
          stepCoefficients(guidance, s, tracked, next ?? NO_RENOISE, step.doAddNoise),
          time,
        );
        if (!next) {
          disposeAll({ renoised: out.renoised, stock: out.next_stock_noise });
          return out.decoder_latent!;
        }
        out.decoder_latent!.dispose();
        if (tracked) this.swap(chain, 'stock', out.next_stock_noise);
        else out.next_stock_noise?.dispose();
        this.swap(chain, 'x', out.renoised);
      }
    } finally {
      disposeAll(chain);
    }
  }

  /** The stream from scratch: the device state goes, the next frame uploads the (reset) host state. */
  reset(): void {
    if (this.state) disposeAll({ ...this.state });
    this.state = undefined;
    this.source = undefined;
  }

  /** The device state as host tensors (tests, inspection): a download, never on the frame path. */
  async inspect(host: StreamState): Promise<StreamState> {
    const st = await this.sync(host);
    const latentBuffer = st.latentBuffer ? await this.device.download(st.latentBuffer) : host.latentBuffer;
    return { ...host, stockNoise: await this.device.download(st.stockNoise), latentBuffer };
  }

  /**
   * The device state for `host`: uploaded when the pipeline replaced it (start, seed, slot count). A seed change
   * keeps the device's latent buffer (stateFor keeps the host's, which is stale here); a slot-count change brings it
   * down once to resize it as stateFor does.
   */
  private async sync(host: StreamState): Promise<DeviceState> {
    if (this.state && this.source === host) return this.state;
    const previous = this.state;
    const keptBuffer = previous && this.source && this.source.latentBuffer.dims[0] === host.latentBuffer.dims[0] ? previous.latentBuffer : undefined;
    if (previous?.latentBuffer && !keptBuffer && this.source) {
      const buffer = await this.device.download(previous.latentBuffer);
      host.latentBuffer = stateFor(host.initNoise, { ...this.source, latentBuffer: buffer }).latentBuffer;
    }
    if (previous) disposeAll({ initNoise: previous.initNoise, stockNoise: previous.stockNoise, ...(keptBuffer ? {} : { latentBuffer: previous.latentBuffer }) });
    this.state = undefined;
    const n = host.initNoise.dims[0]!;
    this.state = {
      initNoise: await this.device.upload(host.initNoise),
      stockNoise: await this.device.upload(host.stockNoise),
      latentBuffer: keptBuffer ?? (n > 1 ? await this.device.upload(host.latentBuffer) : undefined),
    };
    this.source = host;
    return this.state;
  }

  /** x (and the UNet batch, the shifted or seeded stock) for `slots` slots from the source latent. */
  private async streamIn(
    spec: Pick<StreamInSpec, 'layout' | 'slots' | 'stock'>,
    from: StreamSource | { x: DeviceTensor },
    st: DeviceState,
    extra: Record<string, DeviceTensor>,
    schedule: SlotSchedule,
    time: StageTime,
  ) {
    const latentType = 'latent' in from ? this.device.types.latent : 'float32';
    const fed = 'latent' in from ? from.feedback : undefined;
    const full: StreamInSpec = { ...spec, latentType, sampleType: this.device.types.sample, shape: this.shape, ...(fed ? { feedback: this.device.types.decoderLatent } : {}) };
    const onLatent = 'latent' in from ? this.latentCoefficients(schedule, fed?.amount) : 'noise' in from ? [0, 1] : [1, 0];
    const latent = 'latent' in from ? from.latent : 'x' in from ? from.x : st.initNoise;
    const coefficients = await this.device.constant({ data: Float32Array.from(onLatent), dims: [onLatent.length] });
    const feeds = { latent, init_noise: st.initNoise, coefficients, ...(fed ? { previous: fed.previous } : {}), ...extra };
    return time('step', () => this.device.run(this.graph(streamInGraph, 'stream-in', full), feeds));
  }

  /**
   * x_t = alpha0*scaling*z + beta0*noise0 (z: the encoder's raw mean); with latent feedback b, z*scaling is
   * (1-b)*z*scaling + b*x0_prev, and x0_prev = scaling * the decoder's latent: [alpha0*scaling*(1-b), beta0, alpha0*scaling*b].
   */
  private latentCoefficients(schedule: SlotSchedule, feedback: number | undefined): number[] {
    const onZ = schedule.alpha[0]! * this.vaeScaling;
    return feedback === undefined ? [onZ, schedule.beta[0]!] : [onZ * (1 - feedback), schedule.beta[0]!, onZ * feedback];
  }

  /** Step i's x and UNet batch: from the source (step 0), else the previous step's renoised x (through stream-in only to lay out a batch). */
  private async sequentialBatch(i: number, layout: StepSpec['layout'], from: StreamSource, chain: { x?: DeviceTensor; stock?: DeviceTensor }, st: DeviceState, s: SlotSchedule, time: StageTime) {
    const laysOut = layout === 'full' || layout === 'initialize' || this.device.types.sample !== 'float32';
    if (i > 0 && !laysOut) return { device: { x: chain.x! } as Record<string, DeviceTensor> };
    const prepared = await this.streamIn({ layout, slots: 1, stock: i === 0 && tracksStock(layout) ? 'seed' : 'none' }, i === 0 ? from : { x: chain.x! }, st, {}, s, time);
    this.swap(chain, 'x', prepared.device.x);
    if (prepared.device.stock_noise) this.swap(chain, 'stock', prepared.device.stock_noise);
    return { device: { ...prepared.device, x: chain.x! } };
  }

  /**
   * The UNet on the prepared batch, then the step graph. Consumes the prepared sample and the UNet output, not x
   * (its owner's). Throws SDL_ERR_NONFINITE, with every output disposed, when x0 is not finite.
   */
  private async step(
    spec: Pick<StepSpec, 'layout' | 'slots' | 'renoised' | 'nextNoise'>,
    prepared: { device: Record<string, DeviceTensor> },
    inputs: { stock: DeviceTensor | undefined; conditioning: DenoiseStep['conditioning']; timesteps: readonly number[] },
    coefficients: { data: Float32Array; dims: number[] },
    time: StageTime,
  ): Promise<Record<string, DeviceTensor | undefined>> {
    const { x, sample } = prepared.device as { x: DeviceTensor; sample?: DeviceTensor };
    const pred = await time('unet', () => this.device.unet(sample ?? x, inputs.timesteps, inputs.conditioning)).finally(() => sample?.dispose());
    const types = this.device.types;
    const full: StepSpec = { ...spec, predType: types.pred, decoderType: types.decoderLatent, decoderScale: 1 / this.vaeScaling, shape: this.shape };
    const stock: Record<string, DeviceTensor> = tracksStock(spec.layout) ? { stock_noise: inputs.stock! } : {};
    const out = await this.device
      .constant(coefficients)
      .then((k) => time('step', () => this.device.run(this.graph(stepGraph, 'step', full), { pred, x, init_noise: this.state!.initNoise, coefficients: k, ...stock })))
      .finally(() => pred.dispose());
    if (!out.flags.finite) {
      disposeAll(out.device);
      throw nonFinite();
    }
    return out.device;
  }

  private graph<S extends object>(build: (spec: S) => GeneratedGraph, kind: string, spec: S): GeneratedGraph {
    const key = graphKey(kind, spec);
    let g = this.graphs.get(key);
    if (!g) this.graphs.set(key, (g = build(spec)));
    return g;
  }

  private replace(st: DeviceState, field: 'stockNoise' | 'latentBuffer', next: DeviceTensor): void {
    st[field]?.dispose();
    st[field] = next;
  }

  private swap(chain: { x?: DeviceTensor; stock?: DeviceTensor }, field: 'x' | 'stock', next: DeviceTensor | undefined): void {
    if (chain[field] === next) return;
    chain[field]?.dispose();
    chain[field] = next;
  }
}

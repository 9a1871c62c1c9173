import { basename, dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import { StageStats } from '../engine/stage-stats.js';
import { SdliveError } from '../errors.js';
import type { SessionModel } from '../models/providers.js';

type RunArgs = Parameters<ort.InferenceSession['run']>;

/** One session.run() a frame made: on which session, with copies of its feeds. */
export interface RecordedRun {
  /** The model file's folder (unet, vae_encoder, ...) or `generated` for a graph the engine built. */
  session: string;
  target: ort.InferenceSession;
  args: RunArgs;
  inputs: Record<string, readonly number[]>;
}

function sessionLabel(model: SessionModel): string {
  return typeof model === 'string' ? basename(dirname(model)) : 'generated';
}

const ZEROS: Partial<Record<ort.Tensor.Type, (n: number) => ort.Tensor.DataType>> = {
  float32: (n) => new Float32Array(n),
  float16: (n) => new Uint16Array(n),
  int32: (n) => new Int32Array(n),
  int64: (n) => new BigInt64Array(n),
  uint8: (n) => new Uint8Array(n),
  bool: (n) => new Uint8Array(n),
};

/** A host tensor with the same values (or zeros where the values live on a GPU and cannot be read back). */
function hostCopy(t: ort.Tensor): ort.Tensor {
  if (t.location === 'cpu') return new ort.Tensor(t.type, (t.data as Float32Array).slice(), t.dims);
  const zeros = ZEROS[t.type];
  if (!zeros) throw new SdliveError('SDL_ERR_PIPELINE', `bench: cannot stand in for a ${t.type} input on ${t.location} in the raw replay`);
  return new ort.Tensor(t.type, zeros(t.size), t.dims);
}

/** Preallocated host outputs are replayed as they are; device-resident ones are fetched by name instead. */
function hostFetches(fetches: RunArgs[1]): RunArgs[1] {
  if (!fetches || Array.isArray(fetches)) return fetches;
  const outputs = Object.values(fetches as Record<string, unknown>);
  if (!outputs.every((o) => o instanceof ort.Tensor)) return fetches;
  return (outputs as ort.Tensor[]).every((o) => o.location === 'cpu') ? fetches : Object.keys(fetches);
}

/**
 * Wraps sessions (providers.ts setSessionHook) so that, while `recording`, each run() is kept with host copies
 * of its feeds. replay() then calls exactly those runs on the same sessions, back to back: the raw onnxruntime
 * cost of a frame with no pipeline or engine around it.
 */
export class SessionRecorder {
  recording = false;
  readonly runs: RecordedRun[] = [];

  readonly hook = (session: ort.InferenceSession, model: SessionModel): ort.InferenceSession => {
    const label = sessionLabel(model);
    const run = (...args: RunArgs) => {
      if (this.recording) this.keep(label, session, args);
      return session.run(...args);
    };
    return new Proxy(session, { get: (target, prop) => (prop === 'run' ? run : Reflect.get(target, prop, target)) });
  };

  private keep(session: string, target: ort.InferenceSession, [feeds, fetches, options]: RunArgs): void {
    const copies = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, hostCopy(t)]));
    const args = [copies, hostFetches(fetches), options].filter((a) => a !== undefined) as unknown as RunArgs;
    this.runs.push({ session, target, args, inputs: Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, t.dims])) });
  }
}

export interface RawTimings {
  frame: { median: number; p95: number };
  /** Per session label, summed over its runs in one frame. */
  sessions: Record<string, { median: number; p95: number }>;
}

function disposeDeviceOutputs(out: ort.InferenceSession.ReturnType): void {
  for (const t of Object.values(out)) if (t.location !== 'cpu') t.dispose();
}

/** Runs the recorded frame `frames` times (after `warmup` unmeasured) and summarises the wall time per frame and session. */
export async function replay(runs: readonly RecordedRun[], frames: number, warmup: number): Promise<RawTimings> {
  const stats = new StageStats(frames);
  for (let i = 0; i < warmup + frames; i++) {
    const times: Record<string, number> = { frame: 0 };
    for (const r of runs) {
      const t0 = performance.now();
      disposeDeviceOutputs(await r.target.run(...r.args));
      const ms = performance.now() - t0;
      times[r.session] = (times[r.session] ?? 0) + ms;
      times.frame! += ms;
    }
    if (i >= warmup) stats.recordAll(times);
  }
  const pick = Object.fromEntries(Object.entries(stats.summary()).map(([k, s]) => [k, { median: s.median, p95: s.p95 }]));
  const { frame, ...sessions } = pick;
  return { frame: frame!, sessions };
}

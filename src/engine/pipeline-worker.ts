import { parentPort } from 'node:worker_threads';
import pino from 'pino';
import { SdliveError } from '../errors.js';
import type { Pipeline, PipelineDefinition } from '../pipelines/pipeline.js';
import { skippedProviders } from '../models/providers.js';
import { PIPELINES } from '../pipelines/registry.js';
import { OutputPool } from './output-pool.js';
import { toWireError, transferList, type FromWorker, type ToWorker } from './worker-protocol.js';

// The worker side of worker-protocol.ts: one pipeline per thread, one frame at a time.

const port = parentPort!;
let pipeline: Pipeline<unknown> | undefined;
const outputs = new OutputPool();

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

/** Registry pipelines by name, plus those a module exports as `pipelines` (how tests bring fakes in). */
async function definitionFor(name: string, module: string | undefined): Promise<PipelineDefinition> {
  const extra = module ? ((await import(module)) as { pipelines?: Record<string, PipelineDefinition> }).pipelines ?? {} : {};
  const def = extra[name] ?? PIPELINES[name];
  if (!def) throw new SdliveError('SDL_ERR_CONFIG', `unknown pipeline "${name}" in the worker`);
  return def;
}

async function load(msg: Extract<ToWorker, { code: 'load' }>): Promise<void> {
  try {
    const def = await definitionFor(msg.pipeline, msg.module);
    // Lines go to the main thread's logger (its format, its asynchronous stderr), never straight to fd 2.
    const log = pino({ level: msg.logLevel, base: { pipeline: msg.pipeline } }, { write: (line: string) => post({ code: 'log', line }) });
    pipeline = (await def.load(msg.params as never, { log, outputBuffers: outputs })) as Pipeline<unknown>;
    post({ code: 'ready', requirements: pipeline.prepare(), provider: pipeline.provider, skippedProviders: skippedProviders() });
  } catch (e) {
    post({ code: 'load-failed', error: toWireError(e) });
  }
}

async function processFrame(msg: Extract<ToWorker, { code: 'frame' }>): Promise<void> {
  const t0 = performance.now();
  try {
    outputs.give(msg.outputs ?? []);
    if (msg.reset) pipeline!.reset?.();
    const result = await pipeline!.process(msg.frames, msg.params as never);
    // Frames in buffers from the pool go as they are; a pipeline's own (reused) buffers are copied.
    const frames = result.map((f) => outputs.handOver(f));
    const spare = transferList(msg.frames).filter((b) => b.byteLength > 0);
    const reply: FromWorker = { code: 'result', id: msg.id, frames, stages: { ...result.stages }, ms: performance.now() - t0, spare, warmup: result.warmup === true, ...(result.transfers ? { transfers: result.transfers } : {}) };
    post(reply, [...transferList(frames), ...spare]);
  } catch (e) {
    post({ code: 'frame-failed', id: msg.id, error: toWireError(e) });
  }
}

async function dispose(): Promise<void> {
  await pipeline?.dispose();
  pipeline = undefined;
  post({ code: 'disposed' });
  port.close();
}

port.on('message', (msg: ToWorker) => {
  switch (msg.code) {
    case 'load': return void load(msg);
    case 'frame': return void processFrame(msg);
    case 'dispose': return void dispose();
    default: throw new Error(`pipeline worker: unknown message code ${JSON.stringify((msg as { code: unknown }).code)}: this should not happen`);
  }
});

import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { SdliveError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ExecutionProvider } from '../pipelines/streamdiffusion/schema.js';
import { modelFileFailure } from './load-failures.js';
import { GraphBuilder } from './onnx/graph-builder.js';
import { describeAdapter, detectWebgpuAdapter, type WebgpuAdapter } from './webgpu-adapter.js';
import { probeInChild, type ProbeResults } from './provider-probe.js';

export interface ProviderFailure {
  provider: ExecutionProvider;
  reason: string;
  /** The model file that failed to load, when the provider itself worked. */
  file?: string;
}

export interface OpenedSessions<K extends string> {
  provider: ExecutionProvider;
  sessions: Record<K, ort.InferenceSession>;
}

/** First line of an ORT error, bounded: its messages carry whole source paths and driver chatter. */
function shortReason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  // "/onnxruntime_src/.../webgpu_context.cc:136 onnxruntime::...<lambda()> status == Success was false. Failed to get..."
  const line = (text.split('\n')[0] ?? text).replace(/^\S+\.(?:cc|cpp|h):\d+ .*? was false\. /, '');
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

/** What an operator can do when a provider's libraries are missing (they are not bundled in the npm package). */
const INSTALL_HINTS: Partial<Record<ExecutionProvider, string>> = {
  cuda: 'reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12 (needs CUDA 12 and cuDNN 9)',
  tensorrt: 'reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12 and install TensorRT',
};

function failureReason(provider: ExecutionProvider, e: unknown): string {
  const reason = shortReason(e);
  const hint = /load shared library|cannot open shared object/i.test(reason) ? INSTALL_HINTS[provider] : undefined;
  return hint ? `${reason} (${hint})` : reason;
}

let probeModel: Uint8Array | undefined;

/** A one-node model: creating a session from it tells in milliseconds whether a provider can start at all. */
function probeBytes(): Uint8Array {
  if (!probeModel) {
    const g = new GraphBuilder('probe', 1);
    g.output(g.op('Relu', [g.input('x', 'float32', [1])]), 'y', 'float32', [1]);
    probeModel = g.toBytes(17);
  }
  return probeModel;
}

/**
 * Every session has its own intra-op thread pool and the sessions run one after another: pools left spinning
 * after their run steal the cores from the next session (on 2 cores that tripled the frame time).
 */
const NO_SPINNING = { session: { intra_op: { allow_spinning: '0' } } };

/** The provider options a user can set (schema: device_id, webgpu_layout, tensorrt_cache_dir). */
export interface ProviderOptions {
  deviceId?: number;
  webgpuLayout?: 'NCHW' | 'NHWC';
  /** Where TensorRT keeps the engines it builds; empty or absent: no cache. */
  tensorrtCacheDir?: string;
}

/**
 * onnxruntime-node hands tensorrt nothing but a device id, so the engine cache is asked for the two ways a
 * TensorRT provider build may still read it: session config entries under ep.tensorrtexecutionprovider. (Node
 * passes `extra` as config entries) and the ORT_TENSORRT_* environment variables, which native code reads from
 * the process environment (the inference worker shares it). Neither is verified on a GPU (docs/engine.md).
 */
function tensorrtCacheEntries(dir: string) {
  return { ep: { tensorrtexecutionprovider: { trt_engine_cache_enable: '1', trt_engine_cache_path: resolve(dir) } } };
}

function setTensorrtCacheEnv(dir: string): void {
  process.env.ORT_TENSORRT_ENGINE_CACHE_ENABLE = '1';
  process.env.ORT_TENSORRT_CACHE_PATH = resolve(dir);
}

/** One provider entry as onnxruntime-node parses it: only these keys are read (an unknown webgpu key throws). */
export function providerConfig(provider: ExecutionProvider, options: ProviderOptions = {}): ort.InferenceSession.ExecutionProviderConfig {
  switch (provider) {
    case 'cuda':
    case 'tensorrt':
    case 'dml':
      return options.deviceId === undefined ? provider : { name: provider, deviceId: options.deviceId };
    case 'webgpu':
      return options.webgpuLayout === undefined ? provider : { name: provider, preferredLayout: options.webgpuLayout };
    default:
      return provider;
  }
}

export function sessionOptions(provider: ExecutionProvider, options: ProviderOptions = {}): ort.InferenceSession.SessionOptions {
  // Fatal only: every run error reaches the engine's log once per fault; ORT's own line per failed run would flood stderr.
  const extra = provider === 'tensorrt' && options.tensorrtCacheDir ? { ...NO_SPINNING, ...tensorrtCacheEntries(options.tensorrtCacheDir) } : NO_SPINNING;
  return { executionProviders: [providerConfig(provider, options)], graphOptimizationLevel: 'all', logSeverityLevel: 4, extra };
}

let sessionCount = 0;

/** Sessions this process has created, probes included: a runtime parameter change must never raise it. */
export function sessionsCreated(): number {
  return sessionCount;
}

/** A model file's path, or the bytes of a graph the engine generated. */
export type SessionModel = string | Uint8Array;
export type SessionHook = (session: ort.InferenceSession, model: SessionModel) => ort.InferenceSession;
let sessionHook: SessionHook | undefined;

/** While set, every session this thread creates goes through `hook`, which may wrap it (`sdlive bench` records runs). */
export function setSessionHook(hook: SessionHook | undefined): void {
  sessionHook = hook;
}

/** Every model, probe and processor session is created here, so sessionsCreated() sees them all. */
export async function createSession(model: SessionModel, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  const session = await (typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options));
  sessionCount++;
  return sessionHook ? sessionHook(session, model) : session;
}

async function releaseAll(sessions: Iterable<ort.InferenceSession>): Promise<void> {
  for (const s of sessions) await s.release().catch(() => undefined);
}

type Attempt<K extends string> = { sessions: Record<K, ort.InferenceSession> } | { failure: ProviderFailure };

async function tryProvider<K extends string>(provider: ExecutionProvider, files: Record<K, string>, options: ProviderOptions, deviceOutputs: readonly K[] = []): Promise<Attempt<K>> {
  try {
    await (await createSession(probeBytes(), sessionOptions(provider, options))).release();
  } catch (e) {
    return { failure: { provider, reason: failureReason(provider, e) } };
  }
  const opened = new Map<K, ort.InferenceSession>();
  for (const [key, file] of Object.entries(files) as [K, string][]) {
    try {
      const onDevice = provider === 'webgpu' && deviceOutputs.includes(key);
      opened.set(key, await createSession(file, { ...sessionOptions(provider, options), ...(onDevice ? { preferredOutputLocation: 'gpu-buffer' as const } : {}) }));
    } catch (e) {
      await releaseAll(opened.values());
      return { failure: { provider, file, reason: shortReason(e) } };
    }
  }
  return { sessions: Object.fromEntries(opened) as Record<K, ort.InferenceSession> };
}

function describe(f: ProviderFailure): string {
  return `${f.provider}: ${f.file ? `${f.file}: ` : ''}${f.reason}`;
}

export interface OpenOptions<K extends string = string> {
  providerOptions?: ProviderOptions;
  /** Files whose outputs stay on the device on webgpu (the device path: preferredOutputLocation gpu-buffer). */
  deviceOutputs?: readonly K[];
  /** What webgpu would run on (tests pass a fake). */
  webgpuAdapter?: () => WebgpuAdapter;
}

/**
 * A CPU rasteriser (lavapipe, SwiftShader) behind webgpu is slower than the cpu provider: it is used only when
 * webgpu is asked for by name, i.e. listed first in execution_providers.
 */
function cpuAdapterSkip(provider: ExecutionProvider, preference: readonly ExecutionProvider[], adapter: () => WebgpuAdapter): ProviderFailure | undefined {
  if (provider !== 'webgpu' || preference[0] === 'webgpu') return undefined;
  const found = adapter();
  if (found.kind !== 'cpu') return undefined;
  return { provider, reason: `skipped: its adapter is ${describeAdapter(found)}; list webgpu first in execution_providers to use it anyway` };
}

let skipped: string[] = [];

/** The providers the last openSessions in this thread passed over before the one it chose, each with why. */
export function skippedProviders(): string[] {
  return skipped;
}

/** Providers other than cpu (which prints nothing) are first started in a child process, whose stderr is captured. */
function probeOutside(providers: readonly ExecutionProvider[], log: Logger, options: ProviderOptions): Promise<ProbeResults> {
  const noisy = providers.filter((p) => p !== 'cpu');
  return noisy.length ? probeInChild(probeBytes(), noisy.map((p) => [p, sessionOptions(p, options)]), log) : Promise.resolve(new Map());
}

/**
 * Opens every file with the first provider in `preference` that works. onnxruntime-node never falls back by
 * itself, so each provider is probed and tried in turn; every failure is logged with its reason.
 * A provider that starts but cannot load a file makes it a model problem (SDL_ERR_MODEL_LOAD naming the file);
 * no provider starting at all is SDL_ERR_PROVIDER.
 */
export async function openSessions<K extends string>(
  files: Record<K, string>,
  preference: readonly ExecutionProvider[],
  log: Logger,
  options: OpenOptions<K> = {},
): Promise<OpenedSessions<K>> {
  // Each failure is logged here with its reason; ORT's own stderr lines would repeat them outside the logger.
  ort.env.logLevel = 'fatal';
  const cacheDir = options.providerOptions?.tensorrtCacheDir;
  if (cacheDir && preference.includes('tensorrt')) setTensorrtCacheEnv(cacheDir);
  const available = new Set(ort.listSupportedBackends().map((b) => b.name));
  const failures: ProviderFailure[] = [];
  const providers = [...new Set(preference)].filter((provider) => {
    const skip = cpuAdapterSkip(provider, preference, options.webgpuAdapter ?? detectWebgpuAdapter);
    if (skip) {
      failures.push(skip);
      log.debug({ provider, reason: skip.reason }, `execution provider ${provider} skipped: CPU-type adapter`);
    }
    return !skip;
  });
  const probed = await probeOutside(providers.filter((p) => available.has(p)), log, options.providerOptions ?? {});
  for (const provider of providers) {
    const probeFailure = probed.get(provider);
    const attempt: Attempt<K> = !available.has(provider)
      ? { failure: { provider, reason: `not in this onnxruntime-node build for ${process.platform}-${process.arch} (has: ${[...available].join(', ')})` } }
      : probeFailure ? { failure: { provider, reason: failureReason(provider, probeFailure) } } : await tryProvider(provider, files, options.providerOptions ?? {}, options.deviceOutputs);
    if ('sessions' in attempt) {
      skipped = failures.map(describe);
      log.debug({ provider, skipped }, `execution provider: ${provider}`);
      return { provider, sessions: attempt.sessions };
    }
    failures.push(attempt.failure);
    // The start-up summary names each provider skipped and why; a model file that fails is an error of its own.
    log.debug({ provider, file: attempt.failure.file, reason: attempt.failure.reason }, `execution provider ${provider} failed`);
  }
  const fileFailure = failures.find((f) => f.file);
  if (fileFailure) {
    const others = failures.filter((f) => f !== fileFailure).map(describe);
    const tried = others.length ? `; other providers: ${others.join('; ')}` : '';
    throw modelFileFailure(fileFailure.file!, fileFailure.provider, fileFailure.reason, tried);
  }
  throw new SdliveError('SDL_ERR_PROVIDER', `no execution provider could start: ${failures.map(describe).join('; ')}`, 'execution_providers');
}

import { spawn } from 'node:child_process';
import type * as ort from 'onnxruntime-node';
import type { Logger } from '../log.js';

/** A driver that hangs while a provider starts must not hold the model load up for ever. */
const PROBE_LIMIT_MS = 30_000;

// Plain JavaScript run by a second node process: one JSON line per provider tried, up to the first that starts.
const PROBE_SCRIPT = `
const [ortUrl, model, attempts] = JSON.parse(process.argv[1]);
const ns = await import(ortUrl);
const ort = ns.default ?? ns;
ort.env.logLevel = 'fatal';
for (const [provider, options] of attempts) {
  try {
    await (await ort.InferenceSession.create(Buffer.from(model, 'base64'), options)).release();
    console.log(JSON.stringify({ provider }));
    break;
  } catch (e) {
    console.log(JSON.stringify({ provider, reason: e instanceof Error ? e.message : String(e) }));
  }
}`;

/** Started (null) or why not, per provider; providers after the first that started are not tried. */
export type ProbeResults = Map<string, string | null>;

function parseResults(stdout: string): ProbeResults {
  const results: ProbeResults = new Map();
  for (const line of stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const { provider, reason } = JSON.parse(line) as { provider: string; reason?: string };
    results.set(provider, reason ?? null);
  }
  return results;
}

/**
 * Tries each provider on `model` in a child process, in order, until one starts. Native libraries (Dawn/Vulkan,
 * CUDA loaders) write to the process's own stderr, beyond any logger: in the child that text is captured and
 * logged at debug, out of the operator's terminal. A provider that crashes or hangs the child counts as failed.
 */
export function probeInChild(model: Uint8Array, attempts: readonly [string, ort.InferenceSession.SessionOptions][], log: Logger): Promise<ProbeResults> {
  const arg = JSON.stringify([import.meta.resolve('onnxruntime-node'), Buffer.from(model).toString('base64'), attempts]);
  const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT, arg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_LIMIT_MS);
  let spawnError = '';
  child.once('error', (e) => (spawnError = `cannot start the probe process: ${e.message}`));
  return new Promise((resolve) => {
    const done = (why: string) => {
      clearTimeout(timer);
      for (const line of stderr.split('\n').filter((l) => l.trim())) log.debug({ probe: 'stderr' }, line);
      const results = parseResults(stdout);
      const unfinished = attempts.find(([p]) => !results.has(p));
      if (why && unfinished && ![...results.values()].includes(null)) results.set(unfinished[0], why);
      resolve(results);
    };
    child.once('close', (code, signal) => {
      if (spawnError || code !== 0) done(spawnError || (signal === 'SIGKILL' ? `did not start within ${PROBE_LIMIT_MS / 1000} s` : `crashed the probe process (${signal ?? `exit ${code}`})`));
      else done('');
    });
  });
}

import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Command } from 'commander';
import type { EngineConfig } from '../../config.js';
import { StreamDiffusionTdConfig } from '../../control/config.js';
import { rtMidiBackend } from '../../control/midi/backend.js';
import { errorLine } from '../../errors.js';
import { loadSpout, spoutLibraryPath } from '../../io/spout/api.js';
import { loadNodeSyphon } from '../../io/syphon/binding.js';
import { encodeModel } from '../../models/onnx/model-proto.js';
import { describeAdapter, detectWebgpuAdapter } from '../../models/webgpu-adapter.js';
import { configFromFlags } from './run.js';

type Status = 'ok' | 'missing' | 'info';

interface Finding {
  status: Status;
  what: string;
  detail: string;
  fix?: string;
}

type Check = () => Promise<Finding[]>;

const PROVIDER_FIX: Readonly<Record<string, string>> = {
  cuda: 'Linux/Windows x64 with CUDA 12 + cuDNN 9: reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci',
  tensorrt: 'install TensorRT 10 for CUDA 12 and reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci',
  webgpu: 'needs a GPU driver with Vulkan (Linux: libvulkan.so.1 and the vendor ICD), D3D12 (Windows) or Metal (macOS)',
  dml: 'Windows 10+ with a DirectX 12 GPU',
  coreml: 'macOS on Apple silicon',
  cpu: 'reinstall onnxruntime-node (npm ci)',
};

/** y = Identity(x), x: float[1]: the smallest model every provider can run. */
const IDENTITY_MODEL = encodeModel({
  graphName: 'doctor', opset: 13, metadata: {}, initializers: [],
  nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'], name: 'identity', attrs: {} }],
  inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
});

/** onnxruntime's messages start with a source path and a C++ signature: keep the last sentence. */
function reason(message: string): string {
  const line = message.trim().split('\n')[0]!;
  return (line.startsWith('/') ? line.slice(line.lastIndexOf('. ') + 2) : line).slice(0, 160);
}

async function providers(): Promise<Finding[]> {
  const ort = await import('onnxruntime-node');
  const findings: Finding[] = [];
  for (const { name, bundled } of ort.listSupportedBackends()) {
    try {
      const session = await ort.InferenceSession.create(IDENTITY_MODEL, { executionProviders: [name], logSeverityLevel: 4 });
      await session.run({ x: new ort.Tensor('float32', new Float32Array([1]), [1]) });
      await session.release();
      findings.push({ status: 'ok', what: `execution provider ${name}`, detail: 'creates and runs a session' });
    } catch (e) {
      const why = reason(errorLine(e));
      findings.push({ status: 'missing', what: `execution provider ${name}`, detail: `${bundled ? 'bundled' : 'not bundled'}; ${why}`, fix: PROVIDER_FIX[name] });
    }
  }
  return findings;
}

/** What webgpu would run on: a CPU rasteriser is skipped in the default order (docs/engine.md). */
async function webgpuAdapter(): Promise<Finding[]> {
  const adapter = detectWebgpuAdapter();
  if (adapter.kind !== 'cpu') return [{ status: 'info', what: 'webgpu adapter', detail: describeAdapter(adapter) }];
  return [{
    status: 'info', what: 'webgpu adapter',
    detail: `${describeAdapter(adapter)}: skipped in the default provider order; listing webgpu first in execution_providers uses it anyway`,
    fix: 'for a GPU, install its Vulkan driver (NVIDIA driver, mesa-vulkan-drivers for AMD/Intel)',
  }];
}

function run(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function gpu(): Promise<Finding[]> {
  const out = run('nvidia-smi', ['--query-gpu=name,memory.total,memory.used,driver_version', '--format=csv,noheader']);
  if (!out) return [{ status: 'info', what: 'NVIDIA GPU', detail: 'nvidia-smi not found or no NVIDIA GPU visible', fix: 'for CUDA, install the NVIDIA driver; other GPUs run through webgpu/dml/coreml' }];
  return out.split('\n').map((line) => ({ status: 'ok' as const, what: 'NVIDIA GPU', detail: line.trim() }));
}

async function ffmpeg(): Promise<Finding[]> {
  const out = run('ffmpeg', ['-hide_banner', '-version']);
  if (!out) return [{ status: 'missing', what: 'ffmpeg', detail: 'not on PATH (needed by ffmpeg: inputs/outputs)', fix: 'apt install ffmpeg / brew install ffmpeg / winget install ffmpeg' }];
  return [{ status: 'ok', what: 'ffmpeg', detail: out.split('\n')[0]! }];
}

async function midi(): Promise<Finding[]> {
  try {
    const backend = await rtMidiBackend();
    const [inputs, outputs] = [backend.inputs(), backend.outputs()];
    return [{ status: 'ok', what: 'MIDI', detail: `inputs: ${inputs.join(', ') || 'none'}; outputs: ${outputs.join(', ') || 'none'}` }];
  } catch (e) {
    return [{ status: 'missing', what: 'MIDI', detail: errorLine(e), fix: 'Linux: load the ALSA sequencer (modprobe snd-seq; in a container pass --device /dev/snd); the engine runs without MIDI' }];
  }
}

async function textureSharing(): Promise<Finding[]> {
  const probe = async (what: string, open: () => Promise<unknown>): Promise<Finding> => {
    try {
      await open();
      return { status: 'ok', what, detail: 'available' };
    } catch (e) {
      return { status: 'missing', what, detail: errorLine(e).replace(/^SDL_ERR_\w+: /, '') };
    }
  };
  return [
    await probe('Spout (Windows)', async () => loadSpout(spoutLibraryPath(undefined)).release()),
    await probe('Syphon (macOS)', () => loadNodeSyphon()),
  ];
}

async function sharedMemory(): Promise<Finding[]> {
  if (process.platform === 'win32') return [{ status: 'info', what: 'shared memory', detail: 'Windows named file mappings (no /dev/shm)' }];
  const file = `/dev/shm/sdlive-doctor-${process.pid}`;
  try {
    await writeFile(file, 'ok');
    await rm(file);
    return [{ status: 'ok', what: 'shared memory', detail: '/dev/shm is writable' }];
  } catch (e) {
    return [{ status: 'missing', what: 'shared memory', detail: `/dev/shm: ${(e as NodeJS.ErrnoException).code ?? e}`, fix: 'mount a tmpfs at /dev/shm (docker: --shm-size=256m)' }];
  }
}

interface PortUse {
  kind: 'udp' | 'tcp';
  host: string;
  port: number;
  use: string;
  /** Where to choose another port. */
  change: string;
}

function portFree({ kind, host, port }: PortUse): Promise<boolean> {
  return new Promise((resolve) => {
    if (kind === 'udp') {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, host, () => s.close(() => resolve(true)));
    } else {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, host, () => s.close(() => resolve(true)));
    }
  });
}

/** The ports a show with this config binds (port 0 picks a free one: nothing to check). */
function portsOf(config: EngineConfig): PortUse[] {
  const { osc, http } = config;
  const sdtd = osc.streamdiffusiontd === true ? StreamDiffusionTdConfig.parse({}) : osc.streamdiffusiontd;
  const all: PortUse[] = [
    { kind: 'udp', host: osc.host, port: osc.port, use: 'OSC', change: '--osc-port or osc.port' },
    { kind: 'tcp', host: http.host, port: http.port, use: 'HTTP/OSCQuery/web page', change: '--http-port or http.port' },
  ];
  if (sdtd) all.push({ kind: 'udp', host: osc.host, port: sdtd.port, use: 'StreamDiffusionTD', change: 'osc.streamdiffusiontd.port' });
  return all.filter((p) => p.port !== 0);
}

function ports(config: EngineConfig): Check {
  return () => Promise.all(portsOf(config).map(async (p) => ((await portFree(p))
    ? { status: 'ok' as const, what: `port ${p.port}/${p.kind}`, detail: `free (${p.use})` }
    : { status: 'missing' as const, what: `port ${p.port}/${p.kind}`, detail: `in use (${p.use})`, fix: `stop the other program or choose another port (${p.change})` })));
}

const MARK: Readonly<Record<Status, string>> = { ok: 'ok  ', missing: 'no  ', info: '--  ' };

/** Everything, with the ports of `config` (the run command's config: file and flags). */
export async function diagnose(config: EngineConfig): Promise<Finding[]> {
  const checks: readonly Check[] = [providers, webgpuAdapter, gpu, ffmpeg, midi, textureSharing, sharedMemory, ports(config)];
  return (await Promise.all(checks.map((c) => c()))).flat();
}

interface DoctorFlags {
  json?: boolean;
  config?: string;
  oscPort?: string;
  httpPort?: string;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('say what this machine can do: execution providers, GPU, ffmpeg, MIDI, Spout/Syphon, shared memory, ports')
    .option('--json', 'print the findings as JSON')
    .option('-c, --config <file>', 'check the ports this show config uses')
    .option('--osc-port <port>', 'OSC UDP port to check (as for run; default 9000)')
    .option('--http-port <port>', 'HTTP port to check (as for run; default 9001)')
    .action(async ({ json, ...flags }: DoctorFlags) => {
      const findings = await diagnose(await configFromFlags(flags));
      if (json) return void process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
      const width = Math.max(...findings.map((f) => f.what.length));
      for (const f of findings) {
        process.stdout.write(`${MARK[f.status]}${f.what.padEnd(width)}  ${f.detail}\n`);
        if (f.fix && f.status !== 'ok') process.stdout.write(`${' '.repeat(width + 6)}fix: ${f.fix}\n`);
      }
    });
}

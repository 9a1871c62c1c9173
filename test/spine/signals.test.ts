import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CLI } from '../helpers/cli.js';

const HOLD = fileURLToPath(new URL('../helpers/hold-import.ts', import.meta.url));
const passthrough = ['run', '--pipeline', 'passthrough', '--osc-port', '0', '--http-port', '0', '--set', 'width=256', '--set', 'height=256'];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** The real CLI in a child process with file descriptor 3 piped (the hold-import preload reports there). */
function startCli(args: string[], preload: string[] = []): { child: ChildProcess; exited: Promise<Exit> } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload.flatMap((p) => ['--import', p]), CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<Exit>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sdlive ${args.join(' ')} did not exit; stderr: ${stderr}`));
    }, 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
  return { child, exited };
}

/** Starts `sdlive run` with its import of onnxruntime-node held; sends `signal` `delayMs` after that import began. */
async function signalWhileModulesLoad(signal: NodeJS.Signals, delayMs: number): Promise<Exit & { stopMs: number }> {
  const { child, exited } = startCli(passthrough, [HOLD]);
  let sentAt = 0;
  (child.stdio[3] as Readable).once('data', () => setTimeout(() => {
    sentAt = Date.now();
    child.kill(signal);
  }, delayMs));
  const r = await exited;
  return { ...r, stopMs: Date.now() - sentAt };
}

test('SIGTERM or SIGINT while the engine modules still load is a clean stop: exit 0, not killed by the signal', async () => {
  const cases: [NodeJS.Signals, number][] = [['SIGTERM', 0], ['SIGTERM', 50], ['SIGINT', 100], ['SIGTERM', 200]];
  for (const [signal, delayMs] of cases) {
    const r = await signalWhileModulesLoad(signal, delayMs);
    assert.equal(r.signal, null, `${signal} after ${delayMs} ms killed the process (default handler): ${r.stderr}`);
    assert.equal(r.code, 0, `${signal} after ${delayMs} ms: ${r.stderr}`);
    assert.ok(r.stopMs < 2000, `exited ${r.stopMs} ms after ${signal}`);
  }
});

test('a reader that closes stdout early still ends `sdlive schema` with exit 0 and no stack trace', async () => {
  const { child, exited } = startCli(['schema', '--json']);
  child.stdout!.destroy();
  const r = await exited;
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

/** The JSON log line of `sdlive run` whose msg is `msg`, once it has been written. */
async function logLine(stderr: () => string, msg: string): Promise<Record<string, unknown>> {
  const end = Date.now() + 60_000;
  for (;;) {
    const line = stderr().split('\n').find((l) => l.includes(`"msg":"${msg}"`));
    if (line) return JSON.parse(line) as Record<string, unknown>;
    if (Date.now() > end) throw new Error(`no "${msg}" log line; stderr: ${stderr()}`);
    await sleep(20);
  }
}

async function outputFrames(url: string): Promise<number> {
  return ((await (await fetch(`${url}/api/metrics`)).json()) as { outputFrames: number }).outputFrames;
}

test('sdlive run -o raw:-: a stdout reader that goes away does not end the engine; SIGTERM still exits 0', async () => {
  const { child, exited } = startCli([...passthrough, '--output', 'raw:-', '--log-level', 'info']);
  let stderr = '';
  let status: 'running' | Exit = 'running';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  void exited.then((r) => (status = r));
  const { http } = (await logLine(() => stderr, 'sdlive running')) as { http: string };
  await once(child.stdout!, 'data');
  child.stdout!.destroy();
  const closedAt = await outputFrames(http);
  // Every frame after the reader left was a write into a closed pipe (EPIPE).
  for (const end = Date.now() + 30_000; (await outputFrames(http)) < closedAt + 30;) {
    assert.ok(Date.now() < end, 'frames keep flowing after the reader left');
    await sleep(50);
  }
  assert.equal(status, 'running', 'the engine is still running');
  child.kill('SIGTERM');
  const r = await exited;
  assert.equal(r.code, 0, r.stderr);
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, runCli } from '../helpers/cli.js';
import { NO_VULKAN_DRIVER } from '../helpers/requires.js';

/** Quiet on purpose: no MIDI subsystem and no Zeroconf on the test machine are not problems of this test. */
function quietConfig(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sdlive-startup-')), 'show.json');
  writeFileSync(file, JSON.stringify({ midi: { enabled: false }, osc: { port: 0, zeroconf: false }, http: { port: 0 }, params: { width: 256, height: 256 } }));
  return file;
}

const logLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);

test('sdlive run at --log-level warn prints nothing when nothing is wrong: no provider warnings, no Vulkan/Dawn or onnxruntime text', async () => {
  const r = await runCli(['run', '--config', quietConfig(), '--frames', '3', '--log-level', 'warn'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'stderr is empty');
});

test('at info, one summary line names the provider (and why others were skipped), model, input, outputs and the URLs', async () => {
  const r = await runCli(['run', '--config', quietConfig(), '--frames', '3', '--log-level', 'info', '--output', 'raw:/dev/null'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = logLines(r.stderr);
  const summaries = lines.filter((l) => l.msg === 'sdlive running');
  assert.equal(summaries.length, 1, r.stderr);
  const s = summaries[0]!;
  const oscListening = lines.find((l) => l.msg === 'OSC listening') as { port: number };
  assert.equal(s.provider, 'cpu');
  // The default preference tries cuda, dml, coreml and webgpu first: none of them starts on this machine.
  for (const skipped of ['cuda', 'dml', 'coreml', 'webgpu']) assert.match(String(s.skipped), new RegExp(`\\b${skipped}\\b[^;]*: \\S`), `${skipped} and why`);
  assert.doesNotMatch(String(s.skipped), /\.cc:\d+/, 'no onnxruntime source locations');
  assert.equal(s.model, 'builtin:tiny (256x256)');
  assert.equal(s.input, 'test:bars');
  assert.equal(s.outputs, 'raw:/dev/null');
  assert.match(String(s.page), /^http:\/\/127\.0\.0\.1:\d+\/ui\/$/);
  assert.equal(s.oscquery, String(s.page).replace(/\/ui\/$/, ''));
  assert.equal(s.osc, `udp 127.0.0.1:${oscListening.port}`);
  assert.ok(!lines.some((l) => /^execution provider/.test(String(l.msg))), 'provider attempts are debug lines');
});

test('--log-level debug keeps what the providers printed while they were tried', async () => {
  // No Vulkan driver for this run: webgpu fails to start, noisily.
  const r = await runCli(['run', '--config', quietConfig(), '--frames', '1', '--log-level', 'debug', '--set', 'execution_providers=["webgpu","cpu"]'], { timeoutMs: 120_000, env: NO_VULKAN_DRIVER });
  assert.equal(r.code, 0, r.stderr);
  const lines = logLines(r.stderr);
  const webgpu = lines.find((l) => l.msg === 'execution provider webgpu failed');
  assert.equal(webgpu?.level, 20, r.stderr);
  assert.ok(lines.some((l) => l.probe === 'stderr' && l.level === 20), 'the probe process stderr, at debug');
});

/** The CLI on a pseudo-terminal (util-linux `script`): what an operator sees. */
function runOnTty(args: string[]): Promise<string> {
  const command = [process.execPath, '--import', 'tsx', CLI, ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`exit ${code}: ${out}`));
    });
  });
}

test('on a terminal, the inference worker\'s lines are formatted like the main thread\'s', async () => {
  const out = await runOnTty(['run', '--config', quietConfig(), '--frames', '2', '--log-level', 'info']);
  // eslint-disable-next-line no-control-regex
  const lines = out.replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/).filter((l) => l.trim());
  assert.ok(lines.some((l) => /^\[[\d:.]+\] INFO: model loaded/.test(l)), `the worker's "model loaded" line is pretty: ${out}`);
  const summary = lines.findIndex((l) => /^\[[\d:.]+\] INFO: sdlive running$/.test(l));
  assert.ok(summary >= 0, out);
  const block = lines.slice(summary + 1, summary + 10).join('\n');
  for (const field of ['provider: "cpu"', 'model: "builtin:tiny (256x256)"', 'page: "http://127.0.0.1:', 'osc: "udp 127.0.0.1:']) assert.ok(block.includes(`    ${field}`), `${field} in ${block}`);
  assert.ok(!lines.some((l) => l.startsWith('{')), `no raw JSON lines: ${out}`);
});

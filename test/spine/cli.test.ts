import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderTestPattern } from '../../src/io/test-pattern.js';
import { runCli } from '../helpers/cli.js';

const passthrough = ['run', '--pipeline', 'passthrough', '--osc-port', '0', '--http-port', '0', '--set', 'width=256', '--set', 'height=256'];

test('--version and --help exit 0', async () => {
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  for (const args of [['--help'], ['run', '--help'], ['schema', '--help']]) {
    const h = await runCli(args);
    assert.equal(h.code, 0, args.join(' '));
    assert.match(h.stdout, /Usage: sdlive/);
  }
});

test('bad flags and bad config exit 2 with one line and no stack trace', async () => {
  const cases: [string[], RegExp][] = [
    [['run', '--bogus'], /unknown option '--bogus'/],
    [['run', '--set', 'delta=9'], /config field "params\.delta" = 9/],
    [['run', '--input', 'spuot:TD'], /no input transport "spuot"/],
    [['run', '--config', '/nonexistent.json'], /cannot read config file/],
    [['run', '--http-port', 'x'], /config field "http\.port"/],
    [[...passthrough, '--config', '/dev/null'], /not a JSON object/],
    [['run', '--pipeline', 'passthru'], /config field "pipeline" = "passthru": .*did you mean "passthrough"/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('schema --json prints JSON Schema with the UI metadata', async () => {
  const r = await runCli(['schema', '--json']);
  assert.equal(r.code, 0);
  const schema = JSON.parse(r.stdout) as { properties: Record<string, Record<string, unknown>> };
  assert.equal(schema.properties.delta!.maximum, 5);
  assert.equal(schema.properties.delta!.phase, 'runtime');
  assert.equal(schema.properties.model!.phase, 'load');
  assert.equal(schema.properties.guidance_scale!.group, 'Guidance');
});

test('passthrough end to end: test pattern in, the same pixels out, clean exit after --frames', async () => {
  const out = join(tmpdir(), `sdlive-e2e-${process.pid}.rgba`);
  const r = await runCli([...passthrough, '--frames', '3', '--set', 'fps_cap=20', '--output', `raw:${out}`]);
  assert.equal(r.code, 0, r.stderr);
  const bytes = await readFile(out);
  await rm(out);
  const size = 256 * 256 * 4;
  assert.equal(bytes.length, 3 * size);
  // The source renders frame k of the pattern; every output frame must equal one of the first ones pixel for pixel.
  const candidates = Array.from({ length: 900 }, (_, k) => Buffer.from(renderTestPattern(256, 256, k, 30).data));
  for (let f = 0; f < 3; f++) {
    const frame = bytes.subarray(f * size, (f + 1) * size);
    assert.ok(candidates.some((c) => c.equals(frame)), `output frame ${f} is a test-pattern frame, byte for byte`);
  }
});

/** Runs the engine and sends `signal` once stderr shows `when`; resolves with the result and stderr at that moment. */
async function signalWhen(args: string[], when: string, signal: NodeJS.Signals) {
  let sent = '';
  let pid = 0;
  let t0 = 0;
  const r = await runCli(args, {
    onSpawn: (p) => (pid = p),
    onStderr: (soFar) => {
      if (sent || !soFar.includes(when)) return;
      sent = soFar;
      t0 = Date.now();
      process.kill(pid, signal);
    },
  });
  return { ...r, atSignal: sent, stopMs: Date.now() - t0 };
}

test('SIGTERM stops the running engine and exits 0 within 2 s', async () => {
  const r = await signalWhen([...passthrough, '--log-level', 'info'], 'sdlive running', 'SIGTERM');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stopMs < 2000, `exited in ${r.stopMs} ms`);
});

test('Ctrl-C while the model loads exits 0 and still closes the sinks', async () => {
  const ring = `sdlive-cli-test-${process.pid}`;
  const args = ['run', '--osc-port', '0', '--http-port', '0', '--set', 'width=256', '--set', 'height=256', '--output', `shm:${ring}`, '--log-level', 'info'];
  const r = await signalWhen(args, 'OSC listening', 'SIGINT');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stopMs < 2000, `exited in ${r.stopMs} ms`);
  assert.doesNotMatch(r.atSignal, /sdlive running/, 'the signal arrived during start-up');
  assert.equal(existsSync(`/dev/shm/${ring}`), false, 'the shared-memory output was removed');
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const FIXTURE = fileURLToPath(new URL('../helpers/shutdown-fixture.ts', import.meta.url));

interface Stopped { code: number | null; signal: NodeJS.Signals | null; stdout: string; ms: number }

/** Starts the fixture, sends SIGTERM once it is ready (and again after `againMs`), and reports how it ended. */
function stopFixture(stopMs: number, recordings: boolean | 'later', againMs?: number): Promise<Stopped> {
  const mode = recordings === 'later' ? 'recordings-later' : recordings ? 'recordings' : 'none';
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, String(stopMs), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  let sentAt = 0;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
    if (sentAt || !stdout.includes('ready')) return;
    sentAt = performance.now();
    child.kill('SIGTERM');
    if (againMs !== undefined) setTimeout(() => child.kill('SIGTERM'), againMs);
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, ms: performance.now() - sentAt })));
}

test('a stop that hangs is cut after 2 s: exit 0, not the signal', { timeout: 60_000 }, async () => {
  const r = await stopFixture(20_000, false);
  assert.equal(r.code, 0);
  assert.ok(r.stdout.includes('stopping') && !r.stdout.includes('stopped'), r.stdout);
  assert.ok(r.ms >= 1900 && r.ms < 10_000, `exited ${Math.round(r.ms)} ms after SIGTERM`);
});

test('with a recording open, a stop longer than 2 s is waited for, so queued frames are written', { timeout: 60_000 }, async () => {
  const r = await stopFixture(4000, true);
  assert.equal(r.code, 0);
  assert.ok(r.stdout.includes('stopped'), `the stop was cut off: ${r.stdout}`);
});

test('a recording started while running (record/start) is waited for too', { timeout: 60_000 }, async () => {
  const r = await stopFixture(4000, 'later');
  assert.equal(r.code, 0);
  assert.ok(r.stdout.includes('stopped'), `the stop was cut off: ${r.stdout}`);
});

test('a second signal while a recording finishes exits at once', { timeout: 60_000 }, async () => {
  const r = await stopFixture(20_000, true, 500);
  assert.equal(r.code, 0);
  assert.ok(!r.stdout.includes('stopped'), r.stdout);
  assert.ok(r.ms < 1800, `exited ${Math.round(r.ms)} ms after the first SIGTERM (the second came at 500 ms)`);
});

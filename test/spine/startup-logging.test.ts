import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UdpPeer } from '../control/helpers.js';
import { CLI } from '../helpers/cli.js';

async function metric(http: string, name: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`sdlive_${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

const outputFrames = async (http: string) =>
  ((await (await fetch(`${http}/api/metrics`, { signal: AbortSignal.timeout(5000) })).json()) as { outputFrames: number }).outputFrames;

test('a stderr nobody reads does not stall control: /health, OSC "?" queries and frames go on, and the process still exits', async () => {
  const config = join(mkdtempSync(join(tmpdir(), 'sdlive-stall-')), 'show.json');
  writeFileSync(config, JSON.stringify({ pipeline: 'passthrough', params: { width: 256, height: 256 }, midi: { enabled: false }, osc: { port: 0, zeroconf: false }, http: { port: 0 } }));
  // trace: a line per frame, far more than the pipe holds once nobody reads it.
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', '--config', config, '--log-level', 'trace'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const peer = await UdpPeer.open();
  try {
    let stderr = '';
    const onData = (d: Buffer) => (stderr += d);
    child.stderr.on('data', onData);
    let summary: { http: string; osc: string } | undefined;
    for (const end = Date.now() + 90_000; !summary; await sleep(50)) {
      assert.ok(Date.now() < end, `no start-up summary: ${stderr}`);
      const line = stderr.split('\n').find((l) => l.includes('"msg":"sdlive running"'));
      if (line) summary = JSON.parse(line) as { http: string; osc: string };
    }
    child.stderr.off('data', onData);
    child.stderr.pause();
    const { http } = summary;
    const oscPort = Number(summary.osc.split(':').at(-1));

    // Lines waiting beyond what the pipe and our stream buffer absorb: the writer is really blocked by the reader.
    for (const end = Date.now() + 90_000; !((await metric(http, 'log_pending_bytes')) >= 16_384); await sleep(200)) {
      assert.ok(Date.now() < end, 'log lines pile up while nobody reads stderr');
    }

    const framesAtStall = await outputFrames(http);
    for (let i = 0; i < 3; i++) {
      const health = await fetch(`${http}/health`, { signal: AbortSignal.timeout(5000) });
      assert.equal(health.status, 200);
      await peer.send(oscPort, '/sdlive/fps_cap', '?');
      assert.deepEqual((await peer.next('/sdlive/fps_cap', 5000)).args, [0]);
      await sleep(300);
    }
    for (const end = Date.now() + 30_000; (await outputFrames(http)) < framesAtStall + 10; await sleep(100)) {
      assert.ok(Date.now() < end, 'frames keep flowing');
    }
    assert.ok((await metric(http, 'log_pending_bytes')) >= 16_384, 'stderr is still not read');


    const t0 = Date.now();
    child.kill('SIGTERM');
    assert.equal(await exited, 0, 'a clean stop, though stderr is still not read');
    assert.ok(Date.now() - t0 < 15_000, `exit gives up on the unread lines in bounded time (${Date.now() - t0} ms)`);
  } finally {
    await peer.close();
    child.kill('SIGKILL');
  }
});

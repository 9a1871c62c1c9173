import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { openSource } from '../../src/io/registry.js';
import { waitFor } from '../control/helpers.js';
import { captureLog } from '../helpers/log-lines.js';

const skip = spawnSync('ffmpeg', ['-version']).status === 0 ? false : 'ffmpeg is not installed (apt-get install ffmpeg); CI installs it';

async function bound(port = 0): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
  return socket;
}

const portOf = (s: Socket): number => (s.address() as AddressInfo).port;

/**
 * The feeder sends to this relay, which forwards every datagram to sdlive's port and notes when the first one
 * of each feed passed: the moment the sender is back, measured where sdlive would see it.
 */
async function relayTo(port: number) {
  const socket = await bound();
  const relay = { port: portOf(socket), firstPacketAt: 0, socket };
  socket.on('message', (msg) => {
    relay.firstPacketAt ||= performance.now();
    socket.send(msg, port, '127.0.0.1');
  });
  return relay;
}

/** A feeder as on a show: an encoder sending a test pattern as MPEG-TS over UDP in real time. */
function feeder(url: string, extra: readonly string[] = []): ChildProcess {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', ...extra, '-f', 'mpegts', url];
  return spawn('ffmpeg', args, { stdio: 'ignore' });
}

/** A port nothing listens on now: bound and released (ports are never fixed in tests). */
async function freePort(): Promise<number> {
  const probe = await bound();
  const port = portOf(probe);
  await new Promise<void>((resolve) => probe.close(resolve));
  return port;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

for (const [codec, extra] of [
  ['MPEG-2', []],
  ['H.264 as sdlive sends it (one key frame every 250)', ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p']],
] as const) {
  test(`a UDP input (${codec}) gone for 7 s resumes within 4 s of the feed's first packet`, { skip, timeout: 90_000 }, async (t) => {
    const port = await freePort();
    const relay = await relayTo(port);
    const feedUrl = `udp://127.0.0.1:${relay.port}?pkt_size=1316`;
    const { log, lines } = captureLog();
    const source = await openSource(`ffmpeg:udp://127.0.0.1:${port}`, { log, width: 64, height: 48, fps: 30 });
    let feed = feeder(feedUrl, extra);
    try {
      await waitFor(() => source.stats().frames > 10, 'frames from the first feed', 30_000);
      await stop(feed);
      await sleep(1000);
      const held = source.latest();
      // Longer than the 5 s stall watchdog and the ~5.6 s an ffmpeg with default probing needs for its first frame.
      await sleep(6000);
      assert.equal(source.latest(), held, 'the last frame is held through the outage');
      const before = source.stats().frames;
      assert.equal(source.stats().connected, false);
      relay.firstPacketAt = 0;
      feed = feeder(feedUrl, extra);
      await waitFor(() => relay.firstPacketAt > 0, 'the feed is back', 20_000);
      await waitFor(() => source.stats().frames > before, 'frames after the outage', 30_000);
      const resumedMs = performance.now() - relay.firstPacketAt;
      t.diagnostic(`first frame ${resumedMs.toFixed(0)} ms after the feed's first packet`);
      assert.ok(resumedMs <= 4000, `first frame ${resumedMs.toFixed(0)} ms after the feed's first packet`);
      assert.notEqual(source.latest(), held);
      assert.equal(source.stats().connected, true);
      assert.equal(lines.filter((l) => l.includes('transport lost')).length, 1, lines.join(''));
      await waitFor(() => lines.some((l) => l.includes('reconnected')), 'one "reconnected" line', 5000);
    } finally {
      await stop(feed);
      await source.close();
      relay.socket.close();
    }
  });
}

const haveSrt = !skip && spawnSync('ffmpeg', ['-hide_banner', '-protocols']).stdout.toString().includes(' srt\n');

test('an SRT input (sdlive calling a sender that listens) gone for 7 s resumes within 4 s of the sender\'s restart', { skip: haveSrt ? false : 'ffmpeg without SRT', timeout: 90_000 }, async (t) => {
  const port = await freePort();
  const { log } = captureLog();
  const source = await openSource(`ffmpeg:srt://127.0.0.1:${port}`, { log, width: 64, height: 48, fps: 30 });
  const senderUrl = `srt://127.0.0.1:${port}?mode=listener`;
  let feed = feeder(senderUrl);
  try {
    await waitFor(() => source.stats().frames > 10, 'frames from the first sender', 30_000);
    await stop(feed);
    await sleep(7000);
    const before = source.stats().frames;
    feed = feeder(senderUrl);
    const restartedAt = performance.now();
    await waitFor(() => source.stats().frames > before, 'frames after the outage', 30_000);
    const resumedMs = performance.now() - restartedAt;
    t.diagnostic(`first frame ${resumedMs.toFixed(0)} ms after the sender was started again`);
    assert.ok(resumedMs <= 4000, `first frame ${resumedMs.toFixed(0)} ms after the sender was started again`);
  } finally {
    await stop(feed);
    await source.close();
  }
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import pino from 'pino';
import { createFrame } from '../../src/io/frame.js';
import { openSink, openSource } from '../../src/io/registry.js';
import { createMapping, openMapping, unlinkMapping } from '../../src/io/shm/mapping.js';
import { ShmRingReader, ShmRingWriter } from '../../src/io/shm/ring.js';
import { silentLogger } from '../../src/log.js';
import { checksumFrame, checksumOk } from './fixtures/checksum-frame.js';

const ctx = { log: silentLogger, width: 64, height: 48, fps: 30 };
const uniqueName = (what: string) => `sdlive-test-${what}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;

/** Reads from a ring until `enough` holds or the deadline passes; every frame read is checked for tearing. */
function readWhileWritten(reader: ShmRingReader, enough: (read: number) => boolean, deadlineMs: number) {
  let read = 0;
  let torn = 0;
  const end = performance.now() + deadlineMs;
  while (!enough(read) && performance.now() < end) {
    const r = reader.read();
    if (r.kind === 'closed') break;
    if (r.kind !== 'frame') continue;
    read++;
    if (!checksumOk(r.frame)) torn++;
  }
  return { read, torn };
}

test('a reader in another process never sees a torn frame, and the race it is protected from did happen', { timeout: 120_000 }, async (t) => {
  const name = uniqueName('torn');
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/io/fixtures/shm-writer.ts', name, '128', '128'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const replies = child.stdout.setEncoding('utf8')[Symbol.asyncIterator]();
  try {
    assert.match(String((await replies.next()).value), /ready/);
    const reader = ShmRingReader.open(name);
    child.stdin.write('go\n');
    // Runs until the seqlock has turned reads away many times: a reader without it would have taken those frames.
    const { read, torn } = readWhileWritten(reader, (n) => n >= 300 && reader.retries >= 20, 60_000);
    child.stdin.write('stop\n');
    const done = String((await replies.next()).value);
    const after = readWhileWritten(reader, () => false, 10_000);
    const last = reader.read().kind;
    reader.close();
    t.diagnostic(`read ${read} frames while ${done.trim()}; ${reader.retries} reads raced the writer and were retried`);
    assert.equal(torn + after.torn, 0, `${torn} of ${read} frames failed their checksum`);
    assert.ok(reader.retries >= 20, `only ${reader.retries} reads met a slot being written in 60 s: the race under test did not happen`);
    assert.ok(read >= 300, `read ${read} frames (${reader.retries} retries)`);
    assert.equal(last, 'closed', 'the writer marked the ring closed when done');
  } finally {
    child.kill();
    unlinkMapping(name);
  }
});

test('the seqlock is what protects the reader: a slot marked in-progress is never returned', () => {
  const name = uniqueName('seq');
  const writer = new ShmRingWriter(name, 2);
  try {
    writer.write(checksumFrame(8, 8));
    const reader = ShmRingReader.open(name);
    const raw = openMapping(name, 64 + 2 * (64 + 256));
    const u32 = new Uint32Array(raw.bytes.buffer, raw.bytes.byteOffset, raw.bytes.byteLength / 4);
    // Frame 1 lives in slot 1: make its sequence odd as if the writer were mid-copy.
    const slot1 = (64 + 320) / 4;
    u32[slot1] = u32[slot1]! | 1;
    assert.equal(reader.read().kind, 'none');
    assert.ok(reader.retries > 0);
    u32[slot1] = u32[slot1]! + 1;
    const r = reader.read();
    assert.equal(r.kind, 'frame');
    raw.close();
    reader.close();
  } finally {
    writer.close();
  }
});

test('shm: sink and source: frames, size change on the fly, writer gone and back', { timeout: 20_000 }, async () => {
  const name = uniqueName('resize');
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  const sink = await openSink(`shm:${name}`, ctx);
  const source = await openSource(`shm:${name}`, { ...ctx, log });
  try {
    const a = checksumFrame(64, 48);
    sink.write(a);
    const got = source.latest();
    assert.ok(got && checksumOk(got));
    assert.deepEqual(got.data, a.data);
    assert.ok(Math.abs(got.timestamp - a.timestamp) < 1, 'timestamps survive the trip on the shared epoch clock');

    const bigger = checksumFrame(160, 120);
    sink.write(bigger);
    let resized = source.latest();
    for (let i = 0; i < 100 && resized?.width !== 160; i++) {
      await sleep(20);
      resized = source.latest();
    }
    assert.equal(resized?.width, 160, 'a bigger frame recreates the ring and the reader follows');
    assert.deepEqual(resized.data, bigger.data);
    assert.ok(!lines.some((l) => l.includes('transport lost')), `a resize is not an outage: ${lines.join('')}`);
    assert.equal(lines.filter((l) => l.includes('resized the ring')).length, 1, lines.join(''));

    await sink.close();
    assert.equal(source.latest(), resized, 'the last frame is held after the writer left');
    assert.equal(source.stats().connected, false);

    const again = await openSink(`shm:${name}`, ctx);
    const c = checksumFrame(64, 48);
    let back = source.latest();
    for (let i = 0; i < 200 && back !== undefined && back.width !== 64; i++) {
      again.write(c);
      await sleep(20);
      back = source.latest();
    }
    assert.deepEqual(back?.data, c.data, 'the source reattached to the new writer');
    assert.equal(source.stats().connected, true);
    await again.close();
  } finally {
    await source.close();
    await sink.close();
  }
});

test('shm: a source opened before any writer exists waits and attaches later', { timeout: 20_000 }, async () => {
  const name = uniqueName('late');
  const source = await openSource(`shm:${name}`, ctx);
  try {
    assert.equal(source.latest(), undefined);
    assert.equal(source.stats().connected, false);
    const sink = await openSink(`shm:${name}`, ctx);
    const f = checksumFrame(64, 48);
    let got = source.latest();
    for (let i = 0; i < 200 && !got; i++) {
      sink.write(f);
      await sleep(20);
      got = source.latest();
    }
    assert.deepEqual(got?.data, f.data);
    await sink.close();
  } finally {
    await source.close();
  }
});

test('shm raw mode: headerless RGB of a fixed size both ways', { timeout: 20_000 }, async () => {
  const name = uniqueName('raw');
  const sink = await openSink(`shm:${name}?raw=1&width=4&height=2`, ctx);
  try {
    if (process.platform === 'linux') assert.ok(existsSync(`/dev/shm/${name}`));
    const f = createFrame(4, 2);
    f.data.forEach((_, i) => (f.data[i] = (i * 13) % 256));
    sink.write(f);
    const m = openMapping(name, 24);
    assert.equal(m.bytes.length, 24);
    assert.deepEqual([...m.bytes.subarray(0, 6)], [0, 13, 26, 52, 65, 78], 'alpha dropped, RGB packed');
    m.close();
    const source = await openSource(`shm:${name}?raw=1&width=4&height=2`, ctx);
    const got = source.latest();
    assert.equal(got?.width, 4);
    assert.deepEqual([...got!.data.subarray(0, 8)], [0, 13, 26, 255, 52, 65, 78, 255]);
    await source.close();
  } finally {
    await sink.close();
  }
});

test('shm raw mode: a writer that recreates its buffer is followed; one that removes it is one warning', { timeout: 20_000 }, async () => {
  const name = uniqueName('raw-restart');
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  const writer = spawn(process.execPath, ['--import', 'tsx', 'test/io/fixtures/raw-shm-writer.ts', name, '8', '4'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const replies = writer.stdout.setEncoding('utf8')[Symbol.asyncIterator]();
  const tell = async (command: string) => {
    writer.stdin.write(`${command}\n`);
    await replies.next();
  };
  await tell('create 10');
  const source = await openSource(`shm:${name}?raw=1&width=8&height=4`, { ...ctx, log });
  const red = async (value: number) => {
    for (let i = 0; i < 60 && source.latest()?.data[0] !== value; i++) await sleep(50);
    return source.latest()?.data[0];
  };
  try {
    assert.equal(await red(10), 10);
    await tell('create 200');
    assert.equal(await red(200), 200, 'the recreated buffer is mapped again');
    await tell('remove');
    await sleep(1300);
    assert.equal(source.latest()?.data[0], 200, 'the last frame is held while the buffer is gone');
    assert.equal(source.stats().connected, false);
    await tell('create 50');
    assert.equal(await red(50), 50, 'the buffer is picked up again when it is back');
    assert.equal(lines.filter((l) => l.includes('transport lost')).length, 1, lines.join(''));
    assert.equal(lines.filter((l) => l.includes('reconnected')).length, 1, lines.join(''));
  } finally {
    await source.close();
    writer.stdin.end();
    await once(writer, 'exit');
  }
});

test('shm raw mode: a buffer of another size than width x height x 3 is a spec error', async () => {
  const name = uniqueName('raw-size');
  for (const size of [8 * 4 * 3 - 3, 8 * 4 * 3 + 3]) {
    const m = createMapping(name, size);
    try {
      await assert.rejects(openSource(`shm:${name}?raw=1&width=8&height=4`, ctx), (e: Error & { code?: string }) => e.code === 'SDL_ERR_TRANSPORT_SPEC' && /needs exactly 96/.test(e.message));
    } finally {
      m.close();
      unlinkMapping(name);
    }
  }
});

test('shm: an unknown name, a bad name and a foreign buffer are clear errors', async () => {
  assert.throws(() => ShmRingReader.open(uniqueName('missing')), /cannot open shared memory/);
  await assert.rejects(openSource('shm:../etc/passwd', ctx), /use letters, digits/);
  const name = uniqueName('foreign');
  const m = createMapping(name, 4096);
  try {
    assert.throws(() => ShmRingReader.open(name), /not an sdlive frame ring.*raw=1/);
  } finally {
    m.close();
    unlinkMapping(name);
  }
});

test('shm: a writer that stops publishing is one warning; the last frame is held', { timeout: 20_000 }, async () => {
  const name = uniqueName('stall');
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  const sink = await openSink(`shm:${name}`, ctx);
  const source = await openSource(`shm:${name}`, { ...ctx, log });
  try {
    const f = checksumFrame(64, 48);
    sink.write(f);
    const got = source.latest();
    for (let i = 0; i < 30; i++) {
      await sleep(100);
      assert.equal(source.latest(), got);
    }
    assert.equal(lines.filter((l) => l.includes('no new frame')).length, 1, lines.join(''));
  } finally {
    await source.close();
    await sink.close();
  }
});

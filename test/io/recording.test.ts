import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { createFrame, type Frame } from '../../src/io/frame.js';
import { openSink } from '../../src/io/registry.js';
import { SinkQueue } from '../../src/io/sink-queue.js';
import { renderTestPattern } from '../../src/io/test-pattern.js';
import { StatsCounter, type FrameSink } from '../../src/io/transport.js';
import { silentLogger } from '../../src/log.js';
import { runCli } from '../helpers/cli.js';
import { captureLog } from '../helpers/log-lines.js';

const skip = spawnSync('ffmpeg', ['-version']).status === 0 ? false : 'ffmpeg is not installed (apt-get install ffmpeg); CI installs it';
const dir = mkdtempSync(join(tmpdir(), 'sdlive-recording-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const decodedFrames = (file: string): number =>
  Number(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]).toString().trim().split('\n')[0]);

/** A frame whose every byte is i (mod 256): which frame a stretch of bytes came from is plain to see. */
function numbered(width: number, height: number, i: number): Frame {
  const frame = createFrame(width, height, i);
  frame.data.fill(i % 256);
  return frame;
}

/** Writes the frames back to back, as an engine with a fast pipeline does: no sink is waited for. */
async function record(sinks: FrameSink[], frames: Frame[]): Promise<void> {
  for (const frame of frames) for (const sink of sinks) sink.write(frame);
  await Promise.all(sinks.map((s) => s.close()));
}

for (const size of [512, 256]) {
  test(`recordings keep every frame written (${size}x${size}): mp4, mkv, ts and a PNG sequence`, { skip, timeout: 120_000 }, async () => {
    const out = join(dir, `all-${size}`);
    mkdirSync(join(out, 'seq'), { recursive: true });
    const files = ['show.mp4', 'show.mkv', 'show.ts'].map((f) => join(out, f));
    const ctx = { log: silentLogger, width: size, height: size, fps: 30 };
    const sinks = await Promise.all([...files, join(out, 'seq', '%04d.png')].map((f) => openSink(`file:${f}`, ctx)));
    assert.ok(sinks.every((s) => s.recording === true), 'file outputs are recordings');
    const n = 60;
    await record(sinks, Array.from({ length: n }, (_, i) => renderTestPattern(size, size, i, 30)));
    for (const sink of sinks) assert.deepEqual([sink.stats().frames, sink.stats().drops], [n, 0], sink.spec);
    for (const file of files) assert.equal(decodedFrames(file), n, file);
    assert.equal(readdirSync(join(out, 'seq')).length, n, 'PNG files');
  });
}

test('raw: to a file keeps every frame of a burst much faster than the disk takes it', async () => {
  const file = join(dir, 'burst.rgba');
  const sink = await openSink(`raw:${file}`, { log: silentLogger, width: 256, height: 256, fps: 30 });
  assert.equal(sink.recording, true);
  const n = 200;
  await record([sink], Array.from({ length: n }, (_, i) => numbered(256, 256, i)));
  assert.equal(statSync(file).size, n * 256 * 256 * 4);
  assert.deepEqual([sink.stats().frames, sink.stats().drops], [n, 0]);
});

test('raw: into a FIFO whose reader is slow loses no frame and keeps their order', { skip: process.platform === 'win32' ? 'no mkfifo' : false, timeout: 60_000 }, async () => {
  const fifo = join(dir, 'slow.fifo');
  const copy = join(dir, 'slow.copy');
  execFileSync('mkfifo', [fifo]);
  // The reader starts late, then takes 64 KiB every 5 ms: the pipe is full and write() says so for ~2 s.
  const reader = spawn('python3', ['-c', `import sys, time\ntime.sleep(1)\nsrc = open(sys.argv[1], 'rb'); dst = open(sys.argv[2], 'wb')\nwhile True:\n    b = src.read(65536)\n    if not b: break\n    dst.write(b); time.sleep(0.005)`, fifo, copy], { stdio: 'inherit' });
  const sink = await openSink(`raw:${fifo}`, { log: silentLogger, width: 128, height: 128, fps: 30 });
  const n = 120;
  for (let i = 0; i < n; i++) {
    sink.write(numbered(128, 128, i));
    await sleep(2);
  }
  await sink.close();
  await once(reader, 'exit');
  const got = readFileSync(copy);
  const bytes = 128 * 128 * 4;
  assert.equal(got.length, n * bytes);
  for (let i = 0; i < n; i++) assert.ok(got.subarray(i * bytes, (i + 1) * bytes).every((b) => b === i % 256), `frame ${i} is in place`);
  assert.equal(sink.stats().drops, 0);
});

/** A real Writable that holds every chunk until release() is called, like a pipe whose reader paused. */
function pausedStream() {
  const held: (() => void)[] = [];
  const got: number[] = [];
  const stream = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _e, cb) {
      got.push(chunk[0]!);
      held.push(cb);
    },
  });
  /** Lets the stream take everything it is given from now on ('drain' comes a tick after each write). */
  const release = async () => {
    for (let k = 0; k < 20; k++, await sleep(1)) held.splice(0).forEach((cb) => cb());
  };
  return { stream, got, release };
}

test('a live sink keeps the newest frame waiting and counts the older ones as drops', async () => {
  const counter = new StatsCounter();
  const queue = new SinkQueue({ spec: 'test', log: silentLogger, counter, recording: false });
  const { stream, got, release } = pausedStream();
  queue.attach(stream);
  for (let i = 0; i < 10; i++) queue.push(Uint8Array.of(i));
  await release();
  assert.deepEqual(got, [0, 9], 'the frame being written, then the newest');
  assert.equal(counter.drops, 8);
  assert.equal(counter.frames, 2);
});

test('a recording whose queue overflows counts the drops and warns once, not once per frame', async () => {
  const counter = new StatsCounter();
  const { log, lines } = captureLog();
  const queue = new SinkQueue({ spec: 'file:x.mp4', log, counter, recording: true, maxBytes: 4 });
  const { stream, got, release } = pausedStream();
  queue.attach(stream);
  for (let i = 0; i < 10; i++) queue.push(Uint8Array.of(i));
  await release();
  assert.deepEqual(got, [0, 1, 2, 3, 4], 'the first frames, in order');
  assert.equal(counter.drops, 5);
  assert.equal(lines.filter((l) => l.includes('cannot keep up')).length, 1, lines.join(''));
});

test('a second recording under an existing name goes to the next free name; ?overwrite=1 replaces it', { skip, timeout: 60_000 }, async () => {
  const out = join(dir, 'names');
  mkdirSync(join(out, 'seq'), { recursive: true });
  const frames = (n: number) => Array.from({ length: n }, (_, i) => renderTestPattern(64, 64, i, 30));
  const { log, lines } = captureLog();
  const ctx = { log, width: 64, height: 64, fps: 30 };
  const sequence = join(out, 'seq', '%04d.png');
  await record(await Promise.all([`file:${join(out, 'show.mp4')}`, `file:${sequence}`].map((s) => openSink(s, ctx))), frames(10));
  // show.mp4 and show-1.mp4 exist: the next free name is show-2.mp4.
  writeFileSync(join(out, 'show-1.mp4'), 'kept');
  await record(await Promise.all([`file:${join(out, 'show.mp4')}`, `file:${sequence}`].map((s) => openSink(s, ctx))), frames(5));
  assert.equal(decodedFrames(join(out, 'show.mp4')), 10, 'the first recording is intact');
  assert.equal(readFileSync(join(out, 'show-1.mp4'), 'utf8'), 'kept');
  assert.equal(decodedFrames(join(out, 'show-2.mp4')), 5);
  assert.deepEqual(readdirSync(join(out, 'seq')).filter((f) => f.endsWith('-1.png')).length, 5, 'the second sequence is %04d-1.png');
  assert.equal(readdirSync(join(out, 'seq')).length, 15);
  assert.equal(lines.filter((l) => l.includes('show-2.mp4') && l.includes('overwrite=1')).length, 1, lines.join(''));
  await record([await openSink(`file:${join(out, 'show.mp4')}?overwrite=1`, ctx)], frames(3));
  assert.equal(decodedFrames(join(out, 'show.mp4')), 3, 'overwrite=1 replaced it');
  assert.ok(!readdirSync(out).includes('show-3.mp4'));
});

test('raw:FILE is never overwritten unless asked', async () => {
  const file = join(dir, 'take.rgba');
  writeFileSync(file, 'earlier take');
  const { log, lines } = captureLog();
  const ctx = { log, width: 8, height: 8, fps: 30 };
  await record([await openSink(`raw:${file}`, ctx)], [numbered(8, 8, 1)]);
  assert.equal(readFileSync(file, 'utf8'), 'earlier take');
  assert.equal(statSync(join(dir, 'take-1.rgba')).size, 8 * 8 * 4);
  assert.ok(lines.some((l) => l.includes('take-1.rgba')), lines.join(''));
  await record([await openSink(`raw:${file}?overwrite=1`, ctx)], [numbered(8, 8, 2), numbered(8, 8, 3)]);
  assert.equal(statSync(file).size, 2 * 8 * 8 * 4);
});

for (const spec of ['file:OUT/show.mp4', 'raw:OUT/show.rgba', 'file:OUT/%04d.png']) {
  test(`sdlive run with ${spec} into a folder that does not exist stops at start-up with exit 2`, { timeout: 60_000 }, async () => {
    const output = spec.replace('OUT', join(dir, 'no-such-folder'));
    const r = await runCli(['run', '--pipeline', 'passthrough', '--input', 'test:bars', '--output', output, '--osc-port', '0', '--http-port', '0', '--frames', '3']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /SDL_ERR_TRANSPORT_SPEC/);
    assert.ok(r.stderr.includes(output) && r.stderr.includes(join(dir, 'no-such-folder')), r.stderr);
  });
}

test('sdlive run --frames 60 to file:show.mp4 records exactly 60 frames', { skip, timeout: 120_000 }, async () => {
  const file = join(dir, 'cli.mp4');
  const r = await runCli(['run', '--pipeline', 'passthrough', '--input', 'test:bars', '--output', `file:${file}`, '--osc-port', '0', '--http-port', '0', '--frames', '60'], { timeoutMs: 100_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(decodedFrames(file), 60);
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { openSink } from '../../src/io/registry.js';
import { ShmRingReader, ShmRingWriter } from '../../src/io/shm/ring.js';
import { silentLogger } from '../../src/log.js';
import { requiresPythonNumpy } from '../helpers/requires.js';
import { checksumFrame } from './fixtures/checksum-frame.js';

// The TouchDesigner Script TOP module, run by a plain CPython with numpy: the same code TouchDesigner runs.
const skip = process.platform === 'win32' ? 'POSIX shared-memory semantics (test/io/shm-windows.test.ts models Windows)' : requiresPythonNumpy();
const uniqueName = (what: string) => `sdlive-td-${what}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;

function py(script: string, stdin = false) {
  const prelude = 'import sys, json, zlib; sys.path.insert(0, "patches/touchdesigner"); import numpy as np; import sdlive_shm as s\n';
  return spawn('python3', ['-c', prelude + script], { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
}

async function output(child: ReturnType<typeof spawn>): Promise<string> {
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (text += t));
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0, text);
  return text.trim();
}

test('the TouchDesigner reader gets the exact frame sdlive wrote, with its timestamp', { skip, timeout: 30_000 }, async () => {
  const name = uniqueName('read');
  const writer = new ShmRingWriter(name);
  try {
    const frame = checksumFrame(64, 48);
    writer.write(frame);
    const got = JSON.parse(await output(py(`r = s.RingReader("${name}"); p, ts = r.read(); print(json.dumps({"shape": list(p.shape), "crc": zlib.crc32(p.tobytes()), "ts": ts, "again": r.read() is None}))`))) as { shape: number[]; crc: number; ts: number; again: boolean };
    assert.deepEqual(got.shape, [48, 64, 4]);
    assert.equal(got.crc, crc32(frame.data));
    assert.ok(Math.abs(got.ts - (performance.timeOrigin + frame.timestamp)) < 1, 'timestamp is epoch ms');
    assert.equal(got.again, true, 'a frame is returned once');
  } finally {
    writer.close();
  }
});

test('sdlive reads what the TouchDesigner writer publishes, resize included', { skip, timeout: 30_000 }, async () => {
  const name = uniqueName('write');
  const child = py(
    `w = s.RingWriter("${name}", 32, 16)
img = np.zeros((16, 32, 4), np.uint8); img[:, :, 0] = np.arange(32)[None, :] * 8; img[:, :, 1] = np.arange(16)[:, None] * 16; img[:, :, 3] = 255
w.write(img, 1234.5); print("one", flush=True); sys.stdin.readline()
big = np.full((40, 50, 4), 77, np.uint8); w.write(big); print("two", flush=True); sys.stdin.readline()
w.close()`,
    true,
  );
  const lines = child.stdout!.setEncoding('utf8');
  try {
    await once(lines, 'data');
    const reader = ShmRingReader.open(name);
    const r = reader.read();
    assert.equal(r.kind, 'frame');
    if (r.kind !== 'frame') return;
    assert.equal(r.frame.width, 32);
    assert.equal(r.frame.height, 16);
    const at = (x: number, y: number) => [...r.frame.data.subarray((y * 32 + x) * 4, (y * 32 + x) * 4 + 4)];
    assert.deepEqual(at(3, 0), [24, 0, 0, 255], 'top row first, RGBA order');
    assert.deepEqual(at(0, 2), [0, 32, 0, 255]);
    assert.ok(Math.abs(r.frame.timestamp - (1234.5 - performance.timeOrigin)) < 1e-6);
    child.stdin!.write('\n');
    await once(lines, 'data');
    // The stdout line and the ring are two channels: look at the ring until it shows the change (or 5 s pass).
    let after = reader.read();
    for (const end = performance.now() + 5000; after.kind === 'none' && performance.now() < end; after = reader.read()) await sleep(10);
    assert.equal(after.kind, 'closed', 'a bigger frame makes the Python writer recreate the ring');
    reader.close();
    const again = ShmRingReader.open(name);
    const big = again.read();
    assert.ok(big.kind === 'frame' && big.frame.width === 50 && big.frame.data.every((v) => v === 77));
    again.close();
    child.stdin!.write('\n');
    await once(child, 'exit');
  } finally {
    child.kill();
  }
});

test('the TouchDesigner raw reader reads sdlive\'s headerless RGB output', { skip, timeout: 30_000 }, async () => {
  const name = uniqueName('raw');
  const sink = await openSink(`shm:${name}?raw=1&width=4&height=2`, { log: silentLogger, width: 4, height: 2, fps: 30 });
  try {
    const data = Uint8Array.from({ length: 32 }, (_, i) => (i * 7) % 256);
    sink.write({ width: 4, height: 2, data, timestamp: 0 });
    const got = JSON.parse(await output(py(`print(json.dumps(s.RawReader("${name}", 4, 2).read()[0, 1].tolist()))`))) as number[];
    assert.deepEqual(got, [28, 35, 42, 255]);
  } finally {
    await sink.close();
  }
});

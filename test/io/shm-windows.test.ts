// Windows shared-memory semantics above the FFI boundary: a named mapping lives while any handle to it is
// open, and creating a name that is still open fails (ERROR_ALREADY_EXISTS -> MappingInUseError). The fake
// backend models exactly that; the real kernel32 calls need Windows (docs/io.md, "needs Windows").
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, test } from 'node:test';
import { createFrame, type Frame } from '../../src/io/frame.js';
import { openSink, openSource } from '../../src/io/registry.js';
import { MappingInUseError, useMappingBackend, type MappingBackend, type SharedMapping } from '../../src/io/shm/mapping.js';
import type { FrameSource } from '../../src/io/transport.js';
import { silentLogger } from '../../src/log.js';

const ctx = { log: silentLogger, width: 64, height: 48, fps: 30 };

function windowsLikeBackend() {
  const regions = new Map<string, { bytes: Uint8Array; handles: number }>();
  const handles: SharedMapping[] = [];
  const handle = (name: string, size: number): SharedMapping => {
    const region = regions.get(name)!;
    if (size > region.bytes.length) throw new Error(`MapViewOfFile: "${name}" has ${region.bytes.length} bytes, asked ${size}`);
    region.handles++;
    let open = true;
    const m = {
      name,
      bytes: region.bytes.subarray(0, size),
      close: () => {
        if (open && --region.handles === 0) regions.delete(name);
        open = false;
      },
    };
    handles.push(m);
    return m;
  };
  const backend: MappingBackend = {
    create(name, size) {
      if (regions.has(name)) throw new MappingInUseError(name);
      regions.set(name, { bytes: new Uint8Array(size), handles: 0 });
      return handle(name, size);
    },
    open(name, size) {
      if (!regions.has(name)) throw new Error(`no shared memory named "${name}"`);
      return handle(name, size);
    },
    sizeOf: () => undefined,
    identity: (name) => (regions.has(name) ? 'held' : undefined),
    unlink: () => undefined,
  };
  return { backend, regions, handles };
}

afterEach(() => useMappingBackend(undefined));

function frame(width: number, height: number, value: number): Frame {
  const f = createFrame(width, height);
  f.data.fill(value);
  return f;
}

async function until(source: FrameSource, ok: (f: Frame | undefined) => boolean, feed: () => void): Promise<Frame | undefined> {
  for (let i = 0; i < 150 && !ok(source.latest()); i++) {
    feed();
    await sleep(20);
  }
  return source.latest();
}

test('windows shm: a writer that crashed leaves its ring held by a reader; the next writer closes it and gets a fresh one', { timeout: 10_000 }, async () => {
  const os = windowsLikeBackend();
  useMappingBackend(os.backend);
  const first = await openSink('shm:ring', ctx);
  first.write(frame(64, 48, 7));
  const source = await openSource('shm:ring', ctx);
  assert.equal(source.latest()?.data[0], 7);
  os.handles[0]!.close(); // the writer process died: its handle is gone, its ring still says live

  const second = await openSink('shm:ring', ctx);
  const got = await until(source, (f) => f?.width === 160, () => second.write(frame(160, 120, 99)));
  assert.equal(got?.width, 160, 'the reader let go of the stale ring and follows the new, bigger one');
  assert.equal(got.data[0], 99);
  assert.ok(second.stats().errors >= 1, 'the first attempt met the held name');
  await source.close();
  await second.close();
  assert.equal(os.regions.size, 0, 'no handle left open');
});

test('windows shm: a resize while a reader holds the ring is retried until it lets go', { timeout: 10_000 }, async () => {
  const os = windowsLikeBackend();
  useMappingBackend(os.backend);
  const sink = await openSink('shm:grow', ctx);
  sink.write(frame(64, 48, 1));
  const source = await openSource('shm:grow', ctx);
  assert.equal(source.latest()?.width, 64);
  const got = await until(source, (f) => f?.width === 128, () => sink.write(frame(128, 96, 2)));
  assert.equal(got?.width, 128);
  assert.equal(got.data[0], 2);
  await source.close();
  await sink.close();
});

test('windows shm: a raw writer that restarts while a reader holds the buffer writes into that buffer', async () => {
  const os = windowsLikeBackend();
  useMappingBackend(os.backend);
  const spec = 'shm:td?raw=1&width=4&height=2';
  const first = await openSink(spec, ctx);
  const source = await openSource(spec, ctx);
  await first.close();
  const second = await openSink(spec, ctx);
  second.write(frame(4, 2, 42));
  await sleep(40);
  assert.equal(source.latest()?.data[0], 42);
  await second.close();
  await source.close();
  assert.equal(os.regions.size, 0);
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import koffi from 'koffi';
import pino from 'pino';
import { spoutApiFromObject, type SpoutApi } from '../../src/io/spout/api.js';
import { makeSpoutTransport } from '../../src/io/spout/transport.js';
import { GL_RGBA, SPOUT_SIGNATURES, SPOUT_VTABLE, vtableIndex, type SpoutMethod } from '../../src/io/spout/vtable.js';
import { silentLogger } from '../../src/log.js';

const ctx = { log: silentLogger, width: 4, height: 2, fps: 30 };

/**
 * A native C++-style object: a pointer to a vtable of 149 function pointers, each a koffi callback. Calls
 * through spoutApiFromObject go through real native function pointers, so slot order, signatures and buffer
 * passing are checked exactly as they would be against SpoutLibrary.dll.
 */
function nativeFakeSpout(impl: Partial<Record<SpoutMethod, (...args: never[]) => unknown>>) {
  const calls: { method: string; self: bigint; args: unknown[] }[] = [];
  const registered: unknown[] = [];
  const slots = koffi.alloc('void *', SPOUT_VTABLE.length);
  const obj = koffi.alloc('void *', 1);
  SPOUT_VTABLE.forEach((name, i) => {
    const sig = (SPOUT_SIGNATURES as Record<string, readonly [string, readonly string[]]>)[name];
    const proto = sig && vtableIndex(name as SpoutMethod) === i ? koffi.proto(`Fake_${name}_${i}`, sig[0], ['void *', ...sig[1]]) : koffi.proto(`Fake_slot_${i}`, 'void', ['void *']);
    const cb = koffi.register((self: unknown, ...args: unknown[]) => {
      calls.push({ method: sig ? name : `unexpected slot ${i}`, self: koffi.address(self), args });
      const fn = (impl as Record<string, (...a: unknown[]) => unknown>)[name];
      if (fn) return fn(...args);
      return ({ bool: true, uint32_t: 0, str: null } as Record<string, unknown>)[sig?.[0] ?? 'void'];
    }, koffi.pointer(proto));
    registered.push(cb);
    koffi.encode(slots, i * koffi.sizeof('void *'), 'void *', cb);
  });
  koffi.encode(obj, 'void *', slots);
  return { obj, calls, dispose: () => registered.forEach((cb) => koffi.unregister(cb as bigint)) };
}

test('the vtable layout matches SpoutLibrary.h', () => {
  assert.equal(SPOUT_VTABLE.length, 149);
  assert.equal(vtableIndex('SetSenderName'), 0);
  assert.equal(vtableIndex('SendImage'), 5);
  assert.equal(vtableIndex('SetReceiverName'), 14);
  assert.equal(vtableIndex('ReceiveImage'), 17);
  assert.equal(vtableIndex('IsFrameNew'), 20);
  assert.equal(vtableIndex('GetSenderHeight'), 23);
  assert.equal(vtableIndex('Release'), 148);
});

test('SpoutApi calls go through the native vtable with this, the right slot and the caller\'s pixel memory', () => {
  const sent: number[][] = [];
  const fake = nativeFakeSpout({
    SendImage: ((pixels: unknown, w: number, h: number) => {
      sent.push([...(koffi.decode(pixels, 'uint8_t', w * h * 4) as number[])]);
      return true;
    }) as never,
    ReceiveImage: ((pixels: unknown) => {
      new Uint8Array(koffi.view(pixels, 32)).fill(7);
      return true;
    }) as never,
    IsUpdated: (() => false) as never,
    GetSenderWidth: (() => 4) as never,
    GetSenderHeight: (() => 2) as never,
  });
  try {
    const api = spoutApiFromObject(fake.obj);
    api.setSenderName('sdlive');
    const px = Uint8Array.from({ length: 32 }, (_, i) => i);
    assert.equal(api.sendImage(px, 4, 2), true);
    const into = new Uint8Array(32);
    assert.equal(api.receiveImage(into), true);
    assert.equal(api.isUpdated(), false);
    assert.equal(api.getSenderWidth(), 4);
    api.setReceiverName('');
    api.release();

    const self = koffi.address(fake.obj);
    assert.ok(fake.calls.every((c) => c.self === self), 'every call passes the object as this');
    assert.deepEqual(fake.calls.map((c) => c.method), ['SetSenderName', 'SendImage', 'ReceiveImage', 'IsUpdated', 'GetSenderWidth', 'SetReceiverName', 'CloseOpenGL', 'Release']);
    assert.deepEqual(fake.calls[0]!.args, ['sdlive']);
    assert.deepEqual(fake.calls[1]!.args.slice(1), [4, 2, GL_RGBA, false]);
    assert.deepEqual(sent[0], [...px], 'SendImage reads the frame bytes');
    assert.deepEqual(fake.calls[2]!.args.slice(1), [GL_RGBA, false, 0]);
    assert.ok(into.every((v) => v === 7), 'ReceiveImage writes straight into the JS buffer');
    assert.deepEqual(fake.calls[5]!.args, [null], 'an empty receiver name means the active sender');
  } finally {
    fake.dispose();
  }
});

/** A scripted sender at the SpoutApi boundary: size, frames, presence. */
class FakeSpout implements SpoutApi {
  log: string[] = [];
  present = true;
  width = 4;
  height = 2;
  fill = 1;
  private knownSize = '';
  private fresh = false;
  sendOk = true;
  setSenderName(name: string) { this.log.push(`SetSenderName ${name}`); }
  sendImage(pixels: Uint8Array, w: number, h: number) { this.log.push(`SendImage ${w}x${h} ${pixels.length}`); return this.sendOk; }
  releaseSender() { this.log.push('ReleaseSender'); }
  setReceiverName(name: string) { this.log.push(`SetReceiverName ${name}`); }
  receiveImage(pixels: Uint8Array) {
    this.log.push(`ReceiveImage ${pixels.length}`);
    if (!this.present) return false;
    const size = `${this.width}x${this.height}`;
    this.fresh = size !== this.knownSize;
    this.knownSize = size;
    if (!this.fresh) {
      assert.equal(pixels.length, this.width * this.height * 4, 'Spout copies only into a buffer of the sender size');
      pixels.fill(this.fill);
    }
    return true;
  }
  isUpdated() { return this.fresh; }
  isConnected() { return this.present; }
  isFrameNew() { return true; }
  getSenderName() { return 'TDOut'; }
  getSenderWidth() { return this.width; }
  getSenderHeight() { return this.height; }
  releaseReceiver() { this.log.push('ReleaseReceiver'); }
  release() { this.log.push('Release'); }
}

test('spout source: connects by name, follows a resize, holds the last frame while the sender is gone', async () => {
  const fake = new FakeSpout();
  const paths: string[] = [];
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  const transport = makeSpoutTransport((path) => (paths.push(path), fake));
  const source = await transport.openSource!('TDOut?lib=C:/Spout/SpoutLibrary.dll', { ...ctx, log });
  assert.deepEqual(paths, ['C:/Spout/SpoutLibrary.dll']);
  assert.equal(source.latest(), undefined, 'the first receive only learns the sender size');
  const a = source.latest();
  assert.equal(a?.width, 4);
  assert.ok(a!.data.every((v) => v === 1));

  fake.width = 8;
  fake.height = 6;
  fake.fill = 2;
  assert.equal(source.latest(), a, 'during a resize the previous frame is held');
  const b = source.latest();
  assert.equal(b?.width, 8);
  assert.equal(b?.data.length, 8 * 6 * 4);
  assert.notEqual(b!.data, a!.data, 'a delivered frame is never overwritten by the next receive');

  fake.present = false;
  assert.equal(source.latest(), b);
  assert.equal(source.latest(), b, 'no new receive attempt within the retry interval');
  assert.equal(source.stats().connected, false);
  assert.equal(fake.log.filter((l) => l.startsWith('ReceiveImage')).length, 5);
  fake.present = true;
  await new Promise((r) => setTimeout(r, 300));
  source.latest();
  assert.equal(source.stats().connected, true);
  await source.close();
  assert.deepEqual(fake.log.slice(0, 1), ['SetReceiverName TDOut']);
  assert.deepEqual(fake.log.slice(-2), ['ReleaseReceiver', 'Release']);
  assert.equal(lines.filter((l) => l.includes('Spout sender gone')).length, 1);
});

test('spout sink: names the sender, sends each frame at its own size, counts failures, releases', async () => {
  const fake = new FakeSpout();
  const sink = await makeSpoutTransport(() => fake).openSink!('sdlive', ctx);
  sink.write({ width: 4, height: 2, data: new Uint8Array(32), timestamp: 0 });
  sink.write({ width: 8, height: 6, data: new Uint8Array(192), timestamp: 0 });
  fake.sendOk = false;
  sink.write({ width: 8, height: 6, data: new Uint8Array(192), timestamp: 0 });
  assert.deepEqual(sink.stats(), { ...sink.stats(), frames: 2, errors: 1, connected: false });
  await sink.close();
  assert.deepEqual(fake.log, ['SetSenderName sdlive', 'SendImage 4x2 32', 'SendImage 8x6 192', 'SendImage 8x6 192', 'ReleaseSender', 'Release']);
});

test('spout off Windows or without the DLL is a clear error', async () => {
  const { spoutTransport } = await import('../../src/io/spout/transport.js');
  if (process.platform === 'win32') return;
  await assert.rejects(spoutTransport.openSource!('TDOut', ctx), /SDL_ERR_TRANSPORT_UNAVAILABLE|Spout needs Windows/);
});

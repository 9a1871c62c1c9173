import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import koffi from 'koffi';
import pino from 'pino';
import { spoutApiFromObject, type SpoutApi } from '../../src/io/spout/api.js';
import { makeSpoutTransport } from '../../src/io/spout/transport.js';
import { GL_RGBA, SPOUT_SIGNATURES, SPOUT_VTABLE, type SpoutMethod } from '../../src/io/spout/vtable.js';
import { silentLogger } from '../../src/log.js';
import { msvcVtable, SPOUTLIBRARY_DECLARATIONS, SPOUTLIBRARY_H, type Declaration } from './fixtures/spoutlibrary-h.js';

const ctx = { log: silentLogger, width: 4, height: 2, fps: 30 };

/** koffi types for the header's C types; undefined for what no sdlive call may use (by-value C++ types, varargs). */
function koffiType(c: string): string | undefined {
  if (/std::|\.\.\.|POINT/.test(c)) return undefined;
  if (c === 'const char*' || c === 'LPCSTR') return 'str';
  if (c.endsWith('*') || c.endsWith('&') || /^H[A-Z]+$/.test(c)) return 'void *';
  const scalars: Record<string, string> = {
    void: 'void', bool: 'bool', int: 'int', long: 'long', double: 'double', 'unsigned char': 'uint8_t', GLint: 'int',
    'unsigned int': 'uint32_t', DWORD: 'uint32_t', UINT: 'uint32_t', GLuint: 'uint32_t', GLenum: 'uint32_t',
    SpoutLibLogLevel: 'int', DXGI_FORMAT: 'int',
  };
  if (!(c in scalars)) throw new Error(`no koffi type for the header's ${c}`);
  return scalars[c];
}

/** The koffi signature of a header declaration, or undefined when it has a type no FFI call can pass. */
function koffiSignature([, returns, params]: Declaration): [string, string[]] | undefined {
  const types = [returns, ...params].map(koffiType);
  return types.every((t) => t !== undefined) ? [types[0]!, types.slice(1) as string[]] : undefined;
}

const HEADER_SLOTS = msvcVtable(SPOUTLIBRARY_DECLARATIONS);

/**
 * A native C++-style object laid out from SpoutLibrary.h itself (test/io/fixtures/spoutlibrary-h.ts, not sdlive's
 * table): a pointer to a vtable of one koffi callback per header slot, each with the header's signature. Calls
 * through spoutApiFromObject go through real native function pointers, so a wrong slot lands on another method
 * and is recorded under that method's name.
 */
function nativeFakeSpout(impl: Partial<Record<SpoutMethod, (...args: never[]) => unknown>>) {
  const calls: { method: string; self: bigint; args: unknown[] }[] = [];
  const registered: unknown[] = [];
  const slots = koffi.alloc('void *', HEADER_SLOTS.length);
  const obj = koffi.alloc('void *', 1);
  HEADER_SLOTS.forEach((declaration, i) => {
    const [name] = declaration;
    const sig = koffiSignature(declaration) ?? ['void', []];
    const proto = koffi.proto(`Fake_${name}_${i}`, sig[0], ['void *', ...sig[1]]);
    const cb = koffi.register((self: unknown, ...args: unknown[]) => {
      calls.push({ method: name, self: koffi.address(self), args });
      const fn = (impl as Record<string, (...a: unknown[]) => unknown>)[name];
      if (fn) return fn(...args);
      return ({ bool: true, uint32_t: 0, int: 0, str: null } as Record<string, unknown>)[sig[0]];
    }, koffi.pointer(proto));
    registered.push(cb);
    koffi.encode(slots, i * koffi.sizeof('void *'), 'void *', cb);
  });
  koffi.encode(obj, 'void *', slots);
  return { obj, calls, dispose: () => registered.forEach((cb) => koffi.unregister(cb as bigint)) };
}

test(`sdlive's vtable is the MSVC layout of SpoutLibrary.h (${SPOUTLIBRARY_H.repo} ${SPOUTLIBRARY_H.tag})`, () => {
  assert.deepEqual([...SPOUT_VTABLE], HEADER_SLOTS.map(([name]) => name));
  assert.equal(HEADER_SLOTS.findIndex(([name, , params]) => name === 'GetName' && params.length === 0), 8, "GetName(std::string) is grouped before the sender's GetName()");
});

test('every method sdlive calls has the C signature of SpoutLibrary.h', () => {
  for (const [method, signature] of Object.entries(SPOUT_SIGNATURES)) {
    const declarations = SPOUTLIBRARY_DECLARATIONS.filter(([name]) => name === method);
    assert.equal(declarations.length, 1, `${method} is declared once (not overloaded)`);
    assert.deepEqual([signature[0], [...signature[1]]], koffiSignature(declarations[0]!), method);
  }
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
    assert.deepEqual(fake.calls.map((c) => c.method), ['CreateOpenGL', 'SetSenderName', 'SendImage', 'ReceiveImage', 'IsUpdated', 'GetSenderWidth', 'SetReceiverName', 'CloseOpenGL', 'Release']);
    assert.deepEqual(fake.calls[0]!.args, [null], 'CreateOpenGL(HWND hwnd = nullptr): a hidden window');
    assert.deepEqual(fake.calls[1]!.args, ['sdlive']);
    assert.deepEqual(fake.calls[2]!.args.slice(1), [4, 2, GL_RGBA, false]);
    assert.deepEqual(sent[0], [...px], 'SendImage reads the frame bytes');
    assert.deepEqual(fake.calls[3]!.args.slice(1), [GL_RGBA, false, 0]);
    assert.ok(into.every((v) => v === 7), 'ReceiveImage writes straight into the JS buffer');
    assert.deepEqual(fake.calls[6]!.args, [null], 'an empty receiver name means the active sender');
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

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { NodeSyphonModule, SyphonServerDescription } from '../../src/io/syphon/binding.js';
import { loadNodeSyphon } from '../../src/io/syphon/binding.js';
import { makeSyphonTransport } from '../../src/io/syphon/transport.js';
import { silentLogger } from '../../src/log.js';

const ctx = { log: silentLogger, width: 2, height: 2, fps: 30 };

/** A stand-in for the node-syphon module with the same classes and call shapes, recording every call. */
function fakeNodeSyphon() {
  const calls: unknown[][] = [];
  const servers: SyphonServerDescription[] = [];
  const clients: FakeClient[] = [];
  class FakeClient {
    width = 2;
    height = 2;
    listener: ((frame: unknown) => void) | undefined;
    disposed = false;
    constructor(readonly server: SyphonServerDescription) {
      calls.push(['client', server.SyphonServerDescriptionNameKey]);
      clients.push(this);
    }
    on(channel: string, cb: (frame: unknown) => void) {
      calls.push(['on', channel]);
      this.listener = cb;
    }
    dispose() {
      this.disposed = true;
      calls.push(['client.dispose']);
    }
  }
  const mod: NodeSyphonModule = {
    SyphonOpenGLServer: class {
      constructor(name: string) {
        calls.push(['server', name]);
      }
      publishImageData(...args: unknown[]) {
        calls.push(['publishImageData', ...args]);
      }
      dispose() {
        calls.push(['server.dispose']);
      }
    },
    SyphonOpenGLClient: FakeClient,
    SyphonServerDirectory: class {
      get servers() {
        return servers;
      }
      listen() {
        calls.push(['listen']);
      }
      dispose() {
        calls.push(['directory.dispose']);
      }
    },
  };
  return { mod, calls, servers, clients };
}

test('syphon sink: one OpenGL server, each frame published with its region, size and the GL flip', async () => {
  const fake = fakeNodeSyphon();
  const sink = await makeSyphonTransport(async () => fake.mod).openSink!('sdlive', ctx);
  const data = Uint8Array.from({ length: 16 }, (_, i) => i);
  sink.write({ width: 2, height: 2, data, timestamp: 0 });
  await sink.close();
  assert.deepEqual(fake.calls[0], ['server', 'sdlive']);
  const [name, pixels, target, region, size, flipped] = fake.calls[1]!;
  assert.equal(name, 'publishImageData');
  assert.ok(pixels instanceof Uint8ClampedArray, 'node-syphon checks for a Uint8ClampedArray');
  assert.deepEqual([...(pixels as Uint8ClampedArray)], [...data]);
  assert.equal((pixels as Uint8ClampedArray).buffer, data.buffer, 'no copy on the way in');
  assert.deepEqual([target, region, size, flipped], ['GL_TEXTURE_2D', { x: 0, y: 0, width: 2, height: 2 }, { width: 2, height: 2 }, true]);
  assert.deepEqual(fake.calls.at(-1), ['server.dispose']);
  assert.equal(sink.stats().frames, 1);
});

test('syphon source: waits for the named server, takes frames of either event shape, holds across a retire', { timeout: 10_000 }, async () => {
  const fake = fakeNodeSyphon();
  const source = await makeSyphonTransport(async () => fake.mod).openSource!('TDSyphonOut?flip=1', ctx);
  assert.equal(source.latest(), undefined);
  fake.servers.push({ SyphonServerDescriptionNameKey: 'Other', SyphonServerDescriptionAppNameKey: 'VDMX' });
  fake.servers.push({ SyphonServerDescriptionNameKey: 'TDSyphonOut', SyphonServerDescriptionAppNameKey: 'TouchDesigner' });
  await sleep(650);
  assert.equal(fake.clients.length, 1);
  assert.equal(fake.clients[0]!.server.SyphonServerDescriptionNameKey, 'TDSyphonOut');

  const rows = Uint8Array.from({ length: 16 }, (_, i) => (i < 8 ? 1 : 2));
  fake.clients[0]!.listener!({ buffer: rows, width: 2, height: 2 });
  const a = source.latest();
  assert.deepEqual([...a!.data], [...rows.subarray(8), ...rows.subarray(0, 8)], '?flip=1 turns the GL image upright');

  fake.clients[0]!.listener!(new Uint8ClampedArray(16).fill(9));
  assert.ok(source.latest()!.data.every((v) => v === 9), 'bare pixel arrays use the client size');
  fake.clients[0]!.listener!({ buffer: new Uint8Array(5), width: 2, height: 2 });
  assert.equal(source.stats().drops, 1, 'a frame of the wrong length is dropped, not shown');

  const held = source.latest();
  fake.servers.splice(1, 1);
  await sleep(650);
  assert.equal(fake.clients[0]!.disposed, true);
  assert.equal(source.latest(), held);
  assert.equal(source.stats().connected, false);
  fake.servers.push({ SyphonServerDescriptionNameKey: 'TDSyphonOut' });
  await sleep(650);
  assert.equal(fake.clients.length, 2, 'a server that comes back is picked up again');
  await source.close();
  assert.deepEqual(fake.calls.slice(-2), [['client.dispose'], ['directory.dispose']]);
});

test('node-syphon is loaded only on demand and is never a dependency', async () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, Record<string, string> | undefined>;
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) assert.equal(pkg[field]?.['node-syphon'], undefined);
  if (process.platform !== 'darwin') await assert.rejects(loadNodeSyphon(), /Syphon needs macOS/);
  else await assert.rejects(loadNodeSyphon().then(() => { throw new Error('node-syphon is installed here'); }), /npm install node-syphon|installed here/);
});

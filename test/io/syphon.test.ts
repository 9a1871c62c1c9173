import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { framePixels, loadNodeSyphon } from '../../src/io/syphon/binding.js';
import { makeSyphonTransport } from '../../src/io/syphon/transport.js';
import { silentLogger } from '../../src/log.js';
import { waitFor } from '../control/helpers.js';
import { fakeNodeSyphon } from './fixtures/node-syphon.js';

const ctx = { log: silentLogger, width: 2, height: 2, fps: 30 };

test('syphon sink: one OpenGL server, each frame reaches the addon with its region, size, the GL flip and GL_TEXTURE_2D', async () => {
  const fake = fakeNodeSyphon();
  const sink = await makeSyphonTransport(async () => fake.mod).openSink!('sdlive', ctx);
  const data = Uint8Array.from({ length: 16 }, (_, i) => i);
  sink.write({ width: 2, height: 2, data, timestamp: 0 });
  await sink.close();
  assert.deepEqual(fake.log, ['server sdlive', 'server.dispose sdlive']);
  assert.equal(fake.published.length, 1, 'the addon accepted the arguments');
  const [call] = fake.published;
  assert.deepEqual([...call!.data], [...data]);
  assert.equal(call!.data.buffer, data.buffer, 'no copy on the way in');
  assert.deepEqual([call!.imageRegion, call!.textureDimension, call!.flipped, call!.textureTarget], [{ x: 0, y: 0, width: 2, height: 2 }, { width: 2, height: 2 }, true, 'GL_TEXTURE_2D']);
  assert.equal(sink.stats().frames, 1);
  assert.equal(sink.stats().errors, 0);
});

test('syphon source: waits for the named server, takes its frames, follows an update, holds across a retire', { timeout: 60_000 }, async () => {
  const fake = fakeNodeSyphon();
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  const source = await makeSyphonTransport(async () => fake.mod).openSource!('TDSyphonOut?flip=1', { ...ctx, log });
  const nextPoll = async () => {
    const seen = fake.polls();
    await waitFor(() => fake.polls() > seen, 'a directory poll', 30_000);
  };
  assert.equal(source.latest(), undefined);
  fake.syphon.announce('Other', 'VDMX');
  const td = fake.syphon.announce('TDSyphonOut', 'TouchDesigner');
  await waitFor(() => fake.clients.length === 1, 'a client', 30_000);
  assert.equal(fake.clients[0]!.description, td);

  const rows = Buffer.from(Array.from({ length: 16 }, (_, i) => (i < 8 ? 1 : 2)));
  fake.clients[0]!.emit({ buffer: rows, width: 2, height: 2 });
  const a = source.latest();
  assert.deepEqual([...a!.data], [...rows.subarray(8), ...rows.subarray(0, 8)], '?flip=1 turns the GL image upright');
  fake.clients[0]!.emit({ buffer: Buffer.alloc(5), width: 2, height: 2 });
  assert.equal(source.stats().drops, 1, 'a frame of the wrong length is dropped, not shown');

  fake.syphon.update(td.SyphonServerDescriptionUUIDKey, { SyphonServerDescriptionNameKey: 'TDSyphonOut' });
  await nextPoll();
  await nextPoll();
  assert.equal(fake.clients.length, 1, 'an updated server (same UUID) keeps its client');
  assert.equal(fake.clients[0]!.disposed, false);

  const held = source.latest();
  fake.syphon.retire(td.SyphonServerDescriptionUUIDKey);
  await waitFor(() => fake.clients[0]!.disposed, 'the client let go', 30_000);
  assert.equal(source.latest(), held);
  assert.equal(source.stats().connected, false);
  fake.syphon.announce('TDSyphonOut', 'TouchDesigner', 'td-2');
  await waitFor(() => fake.clients.length === 2, 'a server that comes back is picked up again', 30_000);
  await source.close();
  assert.deepEqual(fake.log.slice(-2), ['client.dispose', 'directory.dispose']);
  assert.equal(lines.filter((l) => l.includes('retired')).length, 1, lines.join(''));
});

test('frames of node-syphon before 0.6 (bare pixels of the client size) are taken; frames of unknown size are not', () => {
  const bare = new Uint8ClampedArray(16).fill(9);
  assert.deepEqual(framePixels(bare, { width: 2, height: 2 }), { data: new Uint8Array(bare.buffer), width: 2, height: 2 });
  assert.equal(framePixels(bare, {}), undefined, 'a 0.6+ client has no size of its own');
  assert.equal(framePixels('nonsense', { width: 2, height: 2 }), undefined);
});

test('node-syphon is loaded only on demand and is never a dependency', async () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, Record<string, string> | undefined>;
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) assert.equal(pkg[field]?.['node-syphon'], undefined);
  if (process.platform !== 'darwin') await assert.rejects(loadNodeSyphon(), /Syphon needs macOS/);
  else await assert.rejects(loadNodeSyphon().then(() => { throw new Error('node-syphon is installed here'); }), /npm install node-syphon|installed here/);
});

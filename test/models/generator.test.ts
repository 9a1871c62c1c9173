import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { isSdliveError } from '../../src/errors.js';
import { f16ToF32, f32ToF16, fromHalfBits, toHalfBits } from '../../src/models/fp16.js';
import { GraphBuilder } from '../../src/models/onnx/graph-builder.js';
import { resolveModelDir } from '../../src/models/resolve.js';
import { makeTinyModel } from '../../src/models/tiny/make-tiny.js';
import { TINY_VARIANT_NAMES } from '../../src/models/tiny/variants.js';

function folderHash(dir: string): string {
  const h = createHash('sha256');
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
  for (const f of files) h.update(relative(dir, f)).update(readFileSync(f));
  return h.digest('hex');
}

describe('ONNX writer', () => {
  it('writes dynamic (dim_param), fixed and rank-0 shapes that onnxruntime reads back', async () => {
    const g = new GraphBuilder('shapes', 7);
    const x = g.input('x', 'float32', ['batch', 2, 'h', 'w']);
    const t = g.input('t', 'int64', []);
    const y = g.op('Add', [g.conv(x, 2, 3), g.op('Cast', [t], { to: 1 })]);
    g.output(g.op('Resize', [y, '', g.constant([4], Float32Array.of(1, 1, 2, 2))], { mode: 'nearest' }), 'y', 'float32', ['batch', 3, 'h2', 'w2']);
    const s = await ort.InferenceSession.create(g.toBytes(17));
    assert.deepEqual(s.inputMetadata.map((m) => (m.isTensor ? [m.name, m.type, m.shape] : [])), [['x', 'float32', ['batch', 2, 'h', 'w']], ['t', 'int64', []]]);
    const out = await s.run({ x: new ort.Tensor('float32', new Float32Array(2 * 2 * 4 * 6), [2, 2, 4, 6]), t: new ort.Tensor('int64', BigInt64Array.of(5n), []) });
    assert.deepEqual(out.y!.dims, [2, 3, 8, 12]);
    await s.release();
  });

  it('encodes negative int attributes (two\'s-complement varints)', async () => {
    const g = new GraphBuilder('neg', 1);
    const x = g.input('x', 'float32', [2, 3]);
    g.output(g.op('ReduceMean', [x], { axes: [-1], keepdims: 0 }), 'y', 'float32', [2]);
    const s = await ort.InferenceSession.create(g.toBytes(17));
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]) });
    assert.deepEqual([...(out.y!.data as Float32Array)], [2, 5]);
    await s.release();
  });

  it('refuses a non-integral number not wrapped as { float }', () => {
    const g = new GraphBuilder('attr', 1);
    g.output(g.op('LeakyRelu', [g.input('x', 'float32', [1])], { alpha: 0.5 }), 'y', 'float32', [1]);
    assert.throws(() => g.toBytes(17), /wrap non-integer numbers/);
  });
});

describe('fp16 conversion', () => {
  it('round-trips values exactly representable in half precision', () => {
    const values = Float32Array.of(0, -0, 1, -2, 0.5, 65504, -65504, 2 ** -14, 2 ** -24, 999, 0.333251953125);
    assert.deepEqual([...f16ToF32(f32ToF16(values))], [...values]);
  });

  it('rounds to nearest even, overflows to infinity, keeps NaN', () => {
    assert.equal(fromHalfBits(toHalfBits(1 + 2 ** -11)), 1, 'a tie rounds to the even mantissa');
    assert.equal(fromHalfBits(toHalfBits(1 + 3 * 2 ** -11)), 1 + 2 ** -9);
    assert.equal(fromHalfBits(toHalfBits(1e6)), Infinity);
    assert.equal(fromHalfBits(toHalfBits(-1e6)), -Infinity);
    assert.ok(Number.isNaN(fromHalfBits(toHalfBits(NaN))));
    assert.equal(fromHalfBits(toHalfBits(2 ** -26)), 0);
    assert.equal(toHalfBits(1), 0x3c00);
    assert.equal(toHalfBits(-2), 0xc000);
  });

  it('keeps relative error under 2^-11 across the normal range', () => {
    for (let i = 0; i < 2000; i++) {
      const v = (Math.sin(i) * 10) ** 3;
      if (Math.abs(v) < 2 ** -14) continue;
      assert.ok(Math.abs(fromHalfBits(toHalfBits(v)) - v) <= Math.abs(v) * 2 ** -11, `value ${v}`);
    }
  });
});

describe('tiny model generator', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sdlive-gen-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('writes byte-identical folders on every run, different per variant', () => {
    const hashes = new Map<string, string>();
    for (const variant of TINY_VARIANT_NAMES) {
      const started = Date.now();
      const a = folderHash(makeTinyModel(join(tmp, `${variant}-a`), variant));
      const b = folderHash(makeTinyModel(join(tmp, `${variant}-b`), variant));
      assert.ok(Date.now() - started < 5000, `${variant} generated twice in under 5 s`);
      assert.equal(a, b, variant);
      hashes.set(variant, a);
    }
    assert.equal(new Set(hashes.values()).size, TINY_VARIANT_NAMES.length);
  });

  it('lays the folder out as optimum does', () => {
    const dir = makeTinyModel(join(tmp, 'layout'), 'sd-turbo');
    for (const f of ['text_encoder/model.onnx', 'unet/model.onnx', 'vae_encoder/model.onnx', 'vae_decoder/model.onnx', 'tokenizer/vocab.json', 'tokenizer/merges.txt', 'sdlive.json']) {
      assert.ok(readFileSync(join(dir, f)).length > 0, f);
    }
    assert.ok(readFileSync(join(dir, 'unet/model.onnx')).length < 1_000_000, 'tiny: well under a megabyte');
  });

  it('rebuilds a folder written by another generator version', () => {
    const dir = makeTinyModel(join(tmp, 'stale'), 'sd15');
    const good = folderHash(dir);
    writeFileSync(join(dir, 'unet/model.onnx'), 'garbage');
    writeFileSync(join(dir, 'sdlive.json'), '{"generator":"old"}');
    makeTinyModel(dir, 'sd15');
    assert.equal(folderHash(dir), good);
  });

  it('resolves builtin:tiny names and rejects unknown ones', () => {
    assert.match(resolveModelDir('builtin:tiny', tmp), /sd-turbo$/);
    assert.match(resolveModelDir('builtin:tiny-fp16', tmp), /fp16$/);
    assert.equal(resolveModelDir('some/folder'), join(process.cwd(), 'some/folder'));
    assert.throws(() => resolveModelDir('builtin:tiny-nope', tmp), (e) => isSdliveError(e, 'SDL_ERR_MODEL_LOAD') && /builtin:tiny-<sd-turbo\|/.test(e.message));
  });
});

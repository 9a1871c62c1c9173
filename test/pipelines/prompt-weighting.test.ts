import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTokenWeights, parsePromptWeights, weightedTokens } from '../../src/pipelines/streamdiffusion/prompt-weighting.js';
import { FAKE_DIALECT, fakeTokenize } from './fake-sd-models.js';

const parsed = (text: string) => parsePromptWeights(text).map((p) => [p.text, Number(p.weight.toFixed(6))]);

test('A1111 emphasis: (x), [x], (x:w), nesting, escapes, unbalanced brackets', () => {
  assert.deepEqual(parsed('a cat'), [['a cat', 1]]);
  assert.deepEqual(parsed('a (cat)'), [['a ', 1], ['cat', 1.1]]);
  assert.deepEqual(parsed('a [cat]'), [['a ', 1], ['cat', Number((1 / 1.1).toFixed(6))]]);
  assert.deepEqual(parsed('a (red cat:1.3) sits'), [['a ', 1], ['red cat', 1.3], [' sits', 1]]);
  assert.deepEqual(parsed('((cat))'), [['cat', 1.21]]);
  assert.deepEqual(parsed('(a (b:2))'), [['a ', 1.1], ['b', 2.2]]);
  assert.deepEqual(parsed('\\(literal\\) x'), [['(literal) x', 1]]);
  assert.deepEqual(parsed('(open'), [['open', 1.1]]);
  assert.deepEqual(parsed('close) x'), [['close) x', 1]]);
  assert.deepEqual(parsed('time 12:30'), [['time 12:30', 1]]);
  assert.deepEqual(parsed(''), [['', 1]]);
});

test('compel suffixes: word++ x1.1 per +, word-- x0.9 per -, on groups too; hyphens inside words stay text', () => {
  assert.deepEqual(parsed('a cat++ on a mat-'), [['a ', 1], ['cat', 1.21], [' on a ', 1], ['mat', 0.9]]);
  assert.deepEqual(parsed('(red cat)--'), [['red cat', 0.81]]);
  assert.deepEqual(parsed('sci-fi city'), [['sci-fi city', 1]]);
  assert.deepEqual(parsed('neon+, rain'), [['neon', 1.1], [', rain', 1]]);
});

test('token layout: BOS, weighted tokens, EOS, padding with the dialect pad id; truncated to the window', () => {
  const { ids, weights } = weightedTokens('a (red:1.5) cat', fakeTokenize, FAKE_DIALECT);
  const [a, red, cat] = fakeTokenize('a red cat');
  assert.deepEqual(Array.from(ids), [1, a, red, cat, 2, 0, 0, 0]);
  assert.deepEqual(Array.from(weights), [1, 1, 1.5, 1, 1, 1, 1, 1]);
  const long = weightedTokens('w '.repeat(20), fakeTokenize, FAKE_DIALECT);
  assert.equal(long.ids.length, 8);
  assert.equal(long.ids[7], 2, 'EOS survives truncation');
});

test('token weights scale each token row, then the whole embedding is rescaled to its original mean', () => {
  const emb = { data: Float32Array.of(1, 2, 3, 4, 5, 6), dims: [1, 3, 2] };
  const out = applyTokenWeights(emb, Float32Array.of(1, 2, 1));
  const mean = (d: Float32Array) => d.reduce((a, b) => a + b, 0) / d.length;
  assert.ok(Math.abs(mean(out.data) - mean(emb.data)) < 1e-6);
  const k = out.data[0]! / emb.data[0]!;
  assert.ok(Math.abs(out.data[2]! / emb.data[2]! - 2 * k) < 1e-6, 'the weighted row is twice the others');
  assert.ok(Math.abs(out.data[5]! / emb.data[5]! - k) < 1e-6);
});

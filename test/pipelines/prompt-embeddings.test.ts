import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PromptEmbeddings } from '../../src/pipelines/streamdiffusion/prompt-embeddings.js';
import { FakeSdModels } from './fake-sd-models.js';
import { referenceEmbedding } from './reference.js';

/** The cache size docs/streamdiffusion.md promises: "64 texts cached". */
const CAPACITY = 64;
const text = (i: number) => `prompt number ${i}`;

async function encodeAll(prompts: PromptEmbeddings, ids: Iterable<number>): Promise<void> {
  for (const i of ids) await prompts.encode(text(i));
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

test('the cache holds the 64 most recently used texts and no more', async () => {
  const models = new FakeSdModels();
  const prompts = new PromptEmbeddings(models);
  await encodeAll(prompts, range(0, 200));
  assert.equal(models.encodeCount, 200);
  await encodeAll(prompts, range(200 - CAPACITY, 200));
  assert.equal(models.encodeCount, 200, 'the last 64 texts are all still cached');
  await encodeAll(prompts, [200 - CAPACITY - 1, 0]);
  assert.equal(models.encodeCount, 202, 'older texts were evicted: each costs one encoder run');
});

test('eviction drops the least recently used text, not the oldest inserted', async () => {
  const models = new FakeSdModels();
  const prompts = new PromptEmbeddings(models);
  await encodeAll(prompts, range(0, CAPACITY));
  await prompts.encode(text(0));
  await prompts.encode(text(CAPACITY));
  assert.equal(models.encodeCount, CAPACITY + 1);
  await prompts.encode(text(0));
  assert.equal(models.encodeCount, CAPACITY + 1, 'text 0 was used just before: kept');
  await prompts.encode(text(1));
  assert.equal(models.encodeCount, CAPACITY + 2, 'text 1 was the least recently used: evicted, encoded again');
});

test('an evicted prompt is encoded again to the same embedding, emphasis included', async () => {
  const models = new FakeSdModels();
  const prompts = new PromptEmbeddings(models);
  const emphasised = 'a (red:1.4) fox in [fog]';
  const firstPlain = (await prompts.encode('a red fox')).encoder_hidden_states.data.slice();
  const firstEmphasised = (await prompts.encode(emphasised)).encoder_hidden_states.data.slice();
  await encodeAll(prompts, range(0, CAPACITY));
  const runs = models.encodeCount;
  const plain = (await prompts.encode('a red fox')).encoder_hidden_states;
  const again = (await prompts.encode(emphasised)).encoder_hidden_states;
  assert.equal(models.encodeCount, runs + 2, 'both were evicted and ran the encoder again');
  assert.deepEqual(plain.data, firstPlain);
  assert.deepEqual(plain.data, Float32Array.from(referenceEmbedding('a red fox')), 'the plain prompt equals the reference encoding');
  assert.deepEqual(again.data, firstEmphasised, 'the emphasised prompt is weighted as the first time');
  const unweighted = referenceEmbedding('a red fox in fog');
  assert.ok(again.data.some((v, j) => v !== unweighted[j]), 'emphasis changed the embedding');
});

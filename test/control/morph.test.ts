import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createFrame } from '../../src/io/frame.js';
import type { ParamChange } from '../../src/engine/parameter-store.js';
import { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import type { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { FakeSdModels } from '../pipelines/fake-sd-models.js';
import { presetRig } from './preset-rig.js';

/** Ticks every 10 ms, so the fake clock lands on round times. */
const EXACT = { hz: 100 };

/** A rig at look A with preset "b" saved, and every store change recorded from here on. */
async function fromAtoB(a: Record<string, unknown>, b: Record<string, unknown>, opts: Parameters<typeof presetRig>[0] = EXACT) {
  const rig = await presetRig(opts);
  assert.ok(rig.store.update(b, 'osc').ok);
  await rig.run('save', 'b');
  assert.ok(rig.store.update(a, 'osc').ok);
  const changes: ParamChange<Record<string, unknown>>[] = [];
  rig.store.on('change', (c) => changes.push(c));
  return { ...rig, changes };
}

const weightOf = (prompt: unknown, text: string) => {
  if (typeof prompt === 'string') return prompt === text ? 1 : 0;
  return (prompt as { text: string; weight: number }[]).filter((e) => e.text === text).reduce((s, e) => s + e.weight, 0);
};

describe('morph: recall with a transition time, on a fake clock', () => {
  it('numbers move linearly over exactly the duration; the endpoints are the values themselves', async () => {
    const rig = await fromAtoB({ delta: 1, guidance_scale: 1.2, t_index_list: [10, 40] }, { delta: 0, guidance_scale: 2.2, t_index_list: [30, 45] });
    await rig.run('recall', 'b', 2);
    assert.equal(rig.values().delta, 1, 'at the start: where it was');
    assert.equal(rig.values().morph, 0);
    rig.clock.advance(1000);
    assert.equal(rig.values().delta, 0.5);
    assert.deepEqual(rig.values().t_index_list, [20, 43]);
    rig.clock.advance(990);
    assert.ok((rig.values().delta as number) > 0 && (rig.values().morph as number) < 1, 'not there before the end');
    rig.clock.advance(10);
    assert.deepEqual([rig.values().delta, rig.values().guidance_scale, rig.values().t_index_list, rig.values().morph], [0, 2.2, [30, 45], 1]);
    assert.equal(rig.clock.pending, 0, 'the clock stops at the end');
    assert.ok(rig.changes.every((c) => c.source === 'preset'));
    rig.close();
  });

  it('writes the store at most 60 times a second', async () => {
    const rig = await fromAtoB({ delta: 1 }, { delta: 0 }, {});
    await rig.run('recall', 'b', 1);
    rig.clock.advance(1000);
    assert.ok(rig.changes.length >= 55 && rig.changes.length <= 62, `${rig.changes.length} writes`);
    rig.close();
  });

  it('a prompt crossfades as one weighted list: the old weight only falls, the new one only rises, the end is the preset prompt', async () => {
    const rig = await fromAtoB({ prompt: 'a red fox' }, { prompt: 'a blue whale' });
    await rig.run('recall', 'b', 1);
    const trail: [number, number][] = [];
    for (let i = 0; i < 70; i++) {
      rig.clock.advance(1000 / 60);
      const p = rig.values().prompt;
      trail.push([weightOf(p, 'a red fox'), weightOf(p, 'a blue whale')]);
      if (Array.isArray(p)) assert.ok(Math.abs(trail.at(-1)![0] + trail.at(-1)![1] - 1) < 1e-9, 'weights sum to 1');
    }
    for (let i = 1; i < trail.length; i++) {
      assert.ok(trail[i]![0] <= trail[i - 1]![0] && trail[i]![1] >= trail[i - 1]![1], `monotone at ${i}`);
    }
    assert.ok(trail.some(([old, neu]) => old > 0.3 && neu > 0.3), 'both heard halfway');
    assert.equal(rig.values().prompt, 'a blue whale');
    rig.close();
  });

  it('lists merge by text, and seeds crossfade as a weighted seed list', async () => {
    const rig = await fromAtoB({ prompt: [{ text: 'sky', weight: 1 }, { text: 'sea', weight: 3 }], seed: 4 }, { prompt: [{ text: 'sea', weight: 1 }, { text: 'sun', weight: 1 }], seed: 8 });
    await rig.run('recall', 'b', 1);
    rig.clock.advance(500);
    assert.deepEqual(rig.values().prompt, [{ text: 'sky', weight: 0.125 }, { text: 'sea', weight: 0.625 }, { text: 'sun', weight: 0.25 }]);
    assert.deepEqual(rig.values().seed, [{ seed: 4, weight: 0.5 }, { seed: 8, weight: 0.5 }]);
    rig.clock.advance(500);
    assert.deepEqual(rig.values().seed, 8);
    rig.close();
  });

  it('two lists longer together than the schema allows (8 entries) switch halfway instead', async () => {
    const list = (word: string) => Array.from({ length: 5 }, (_, i) => ({ text: `${word} ${i}`, weight: 1 }));
    const rig = await fromAtoB({ prompt: list('old') }, { prompt: list('new') });
    await rig.run('recall', 'b', 1);
    rig.clock.advance(400);
    assert.deepEqual(rig.values().prompt, list('old'));
    rig.clock.advance(200);
    assert.deepEqual(rig.values().prompt, list('new'));
    assert.equal(rig.morph.failures, 0);
    rig.close();
  });

  it('enums, booleans and texts switch halfway', async () => {
    const rig = await fromAtoB({ cfg_type: 'self', do_add_noise: true, negative_prompt: '' }, { cfg_type: 'full', do_add_noise: false, negative_prompt: 'blur' });
    await rig.run('recall', 'b', 1);
    rig.clock.advance(480);
    assert.deepEqual([rig.values().cfg_type, rig.values().do_add_noise, rig.values().negative_prompt], ['self', true, '']);
    rig.clock.advance(40);
    assert.deepEqual([rig.values().cfg_type, rig.values().do_add_noise, rig.values().negative_prompt], ['full', false, 'blur']);
    rig.close();
  });

  it('the morph parameter scrubs it: the clock stops, values follow the fader, 1 lands on the preset', async () => {
    const rig = await fromAtoB({ delta: 1 }, { delta: 0 });
    await rig.run('recall', 'b', 10);
    rig.clock.advance(1000);
    assert.ok(rig.store.set('morph', 0.25, 'midi').ok);
    assert.equal(rig.values().delta, 0.75);
    rig.clock.advance(5000);
    assert.equal(rig.values().delta, 0.75, 'the fader has it now, not the clock');
    rig.store.set('morph', 0, 'midi');
    assert.equal(rig.values().delta, 1, 'back to the start exactly');
    rig.store.set('morph', 1, 'midi');
    assert.equal(rig.values().delta, 0);
    assert.equal(rig.morph.active, false);
    rig.close();
  });

  it('a parameter a performer moves during the morph leaves it; a new recall takes over from where the morph got to', async () => {
    const rig = await fromAtoB({ delta: 1, guidance_scale: 1 }, { delta: 0, guidance_scale: 3 });
    await rig.run('recall', 'b', 1);
    rig.clock.advance(500);
    rig.store.set('delta', 4, 'osc');
    rig.clock.advance(500);
    assert.deepEqual([rig.values().delta, rig.values().guidance_scale], [4, 3]);
    rig.store.update({ delta: 1, guidance_scale: 1 }, 'osc');
    await rig.run('save', 'a');
    await rig.run('recall', 'b', 1);
    rig.clock.advance(500);
    await rig.run('recall', 'a', 1);
    assert.equal(rig.values().guidance_scale, 2, 'starts where the first morph was');
    rig.clock.advance(1000);
    assert.equal(rig.values().guidance_scale, 1);
    rig.close();
  });

  it('beats: refused until a tempo is connected, then beats times the beat length', async () => {
    const plain = await fromAtoB({ delta: 1 }, { delta: 0 });
    await assert.rejects(plain.run('recall', 'b', '4b'), /beats needs a tempo/);
    plain.close();
    const timed = await fromAtoB({ delta: 1 }, { delta: 0 }, { ...EXACT, secondsPerBeat: () => 0.5 });
    assert.deepEqual(await timed.run('recall', 'b', '4 beats'), { name: 'b', number: 1, beats: 4 });
    timed.clock.advance(1000);
    assert.equal(timed.values().delta, 0.5);
    timed.clock.advance(1000);
    assert.equal(timed.values().delta, 0);
    timed.close();
  });

  it('a partial preset the schema refuses on top of the current state is refused before anything moves', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sdlive-morph-'));
    writeFileSync(join(folder, 'show.json'), JSON.stringify({ name: 'show', presets: [{ name: 'late', number: 1, params: { t_index_list: [30, 45] } }] }));
    const rig = await presetRig({ ...EXACT, folder });
    rig.store.update({ num_inference_steps: 20, t_index_list: [5, 10] }, 'osc');
    const before = rig.values();
    await assert.rejects(rig.run('recall', 'late', 1), /t_index_list\.0: t_index 30 must be within/);
    assert.equal(rig.values(), before, 'the store did not move');
    assert.equal(rig.morph.active, false);
    rig.close();
  });

  it('feeding the morph to StreamDiffusion encodes each prompt text once, however many frames the morph takes', async () => {
    const rig = await fromAtoB({ prompt: [{ text: 'a red fox', weight: 1 }, { text: 'snow', weight: 1 }] }, { prompt: 'a blue whale' });
    const models = new FakeSdModels();
    const sd = new StreamDiffusion(models, { width: 16, height: 16 });
    const frame = () => createFrame(16, 16, 0);
    await sd.process([frame()], rig.values() as StreamDiffusionParams);
    await rig.run('recall', 'b', 1);
    for (let i = 0; i < 40; i++) {
      rig.clock.advance(30);
      await sd.process([frame()], rig.values() as StreamDiffusionParams);
    }
    assert.equal(rig.values().prompt, 'a blue whale');
    assert.equal(models.encodeCount, 3, 'a red fox, snow, a blue whale');
    assert.ok(models.unetCalls.length >= 40);
    rig.close();
  });
});

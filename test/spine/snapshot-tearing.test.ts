import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ParameterStore, type ChangeSource, type SetResult } from '../../src/engine/parameter-store.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';

type Store = ParameterStore<typeof StreamDiffusionParams>;
type Snapshot = Readonly<StreamDiffusionParams>;

const GENERATIONS = 200;

/** Update number g: six fields of different kinds, every one of them telling g. */
function generation(g: number) {
  return { seed: g, prompt: `take ${g}`, negative_prompt: `not ${g}`, delta: g / 100, guidance_scale: 1 + g / 100, t_index_list: [g % 40, 40 + (g % 9)] };
}

/** The fields of a snapshot that disagree with its seed's generation: a torn snapshot has some. */
function mixedFields(p: Snapshot): string[] {
  const whole = generation(p.seed as number);
  return Object.entries(whole).filter(([key, value]) => JSON.stringify(p[key as keyof Snapshot]) !== JSON.stringify(value)).map(([key]) => key);
}

/**
 * A writer publishes GENERATIONS multi-field updates, yielding between them; two readers take snapshots meanwhile:
 * one on every change event (where a store applying fields one by one would show a half-applied update), one on
 * its own turns of the event loop, holding each snapshot across a turn as a frame in flight does.
 * Returns every torn snapshot seen, and how many distinct generations the turn-taking reader saw.
 */
async function watch(store: Store): Promise<{ torn: string[]; seen: number }> {
  const torn: string[] = [];
  const seen = new Set<number>();
  const check = (p: Snapshot, when: string) => {
    const mixed = mixedFields(p);
    if (mixed.length) torn.push(`${when}: seed ${String(p.seed)} with another generation's ${mixed.join(', ')}`);
  };
  store.on('change', (c) => check(c.current, 'change event'));
  let writing = true;
  const reader = (async () => {
    while (writing) {
      const held = store.snapshot;
      const copy = JSON.stringify(held);
      check(held, 'reader');
      seen.add(held.seed as number);
      await nextTurn();
      if (JSON.stringify(held) !== copy) torn.push(`a held snapshot changed under its reader (seed ${String(held.seed)})`);
    }
  })();
  for (let g = 1; g <= GENERATIONS; g++) {
    assert.ok(store.update(generation(g), 'osc').ok);
    if (g % 2 === 0) await nextTurn();
  }
  writing = false;
  await reader;
  check(store.snapshot, 'after');
  return { torn, seen: seen.size };
}

test('an update of several fields is published whole: no snapshot, read at any time, mixes two updates', async () => {
  const store = new ParameterStore(StreamDiffusionParams, generation(0));
  const { torn, seen } = await watch(store);
  assert.deepEqual(torn, []);
  assert.ok(seen > GENERATIONS / 2, `the reader saw ${seen} generations while they were written`);
  assert.equal(store.snapshot.seed, GENERATIONS);
});

/** What the test must catch: a store that applies an update's fields one after another. */
class FieldByFieldStore extends ParameterStore<typeof StreamDiffusionParams> {
  override update(patch: Record<string, unknown>, source: ChangeSource): SetResult<StreamDiffusionParams> {
    let result: SetResult<StreamDiffusionParams> = { ok: true, current: this.snapshot };
    for (const [key, value] of Object.entries(patch)) result = super.update({ [key]: value }, source);
    return result;
  }
}

test('the tearing check catches a store that applies fields one by one', async () => {
  const { torn } = await watch(new FieldByFieldStore(StreamDiffusionParams, generation(0)));
  assert.ok(torn.length >= GENERATIONS, `${torn.length} torn snapshots seen`);
  assert.match(torn[0]!, /^change event: seed 1 with another generation's prompt, negative_prompt, delta, guidance_scale, t_index_list$/);
});

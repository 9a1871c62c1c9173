import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParameterStore, type ParamChange } from '../../src/engine/parameter-store.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';

test('a valid change publishes a new frozen snapshot and one change event', () => {
  const store = new ParameterStore(StreamDiffusionParams, {});
  const events: ParamChange<StreamDiffusionParams>[] = [];
  store.on('change', (c) => events.push(c));
  const before = store.snapshot;
  assert.equal(store.set('delta', 0.5, 'osc').ok, true);
  assert.equal(store.snapshot.delta, 0.5);
  assert.equal(before.delta, 1, 'the old snapshot is untouched');
  assert.ok(Object.isFrozen(store.snapshot) && Object.isFrozen(store.snapshot.t_index_list));
  assert.deepEqual(events.map((e) => [e.keys, e.source, e.reload]), [[['delta'], 'osc', false]]);
});

test('a rejected change keeps the last good state and names the field', () => {
  const store = new ParameterStore(StreamDiffusionParams, { delta: 0.7 });
  let events = 0;
  store.on('change', () => events++);
  const r = store.set('t_index_list', [60], 'osc');
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error.message : '', /t_index_list/);
  const u = store.set('detla', 1, 'osc');
  assert.match(!u.ok ? u.error.message : '', /did you mean "delta"/);
  assert.equal(store.snapshot.delta, 0.7);
  assert.equal(events, 0);
});

test('load-time changes are flagged for reload; identical values emit nothing', () => {
  const store = new ParameterStore(StreamDiffusionParams, {});
  const events: ParamChange<StreamDiffusionParams>[] = [];
  store.on('change', (c) => events.push(c));
  store.update({ width: 768, prompt: 'x' }, 'web');
  store.set('prompt', 'x', 'web');
  assert.equal(events.length, 1);
  assert.equal(events[0]!.reload, true);
  assert.deepEqual(events[0]!.keys.sort(), ['prompt', 'width']);
});

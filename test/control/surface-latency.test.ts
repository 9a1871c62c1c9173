import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, type FrameTiming } from '../../src/engine/engine.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { renderTestPattern } from '../../src/io/test-pattern.js';
import { silentLogger } from '../../src/log.js';
import { pipelineByName } from '../../src/pipelines/registry.js';
import { CollectSink, StillSource, until } from '../engine/harness.js';

const SIZE = 256;

interface Sample {
  pipelineMs: number;
  latencyMs: number;
  latencyFrames: number;
}

test('latency counts Stream Batch\'s n-1 frame delay on the real tiny model (t_index_list [32, 45]); sequential steps have none', async () => {
  const definition = pipelineByName('streamdiffusion');
  const store = new ParameterStore(definition.schema, { model: 'builtin:tiny', execution_providers: ['cpu'], width: SIZE, height: SIZE, t_index_list: [32, 45] });
  const engine = new Engine({ definition, store, source: new StillSource(renderTestPattern(SIZE, SIZE, 5, 30)), sinks: [new CollectSink()], log: silentLogger });
  const samples: Sample[] = [];
  engine.on('timing', (t: FrameTiming) => {
    const m = engine.metrics();
    samples.push({ pipelineMs: t.pipeline!, latencyMs: m.latencyMs, latencyFrames: m.latencyFrames });
  });
  await engine.start();
  try {
    await until('Stream Batch frames', () => samples.length >= 6, 60_000);
    for (const [prev, cur] of samples.slice(1).map((s, i) => [samples[i]!, s] as const)) {
      assert.ok(cur.latencyFrames >= 1, `one input frame captured between the shown frame's capture and its output: ${JSON.stringify(cur)}`);
      // The shown frame was captured before the previous step started: both steps lie between capture and output.
      assert.ok(cur.latencyMs >= prev.pipelineMs + cur.pipelineMs, `latency ${cur.latencyMs} ms covers two steps (${prev.pipelineMs} + ${cur.pipelineMs} ms)`);
    }
    assert.ok(store.update({ use_denoising_batch: false }, 'test').ok);
    const from = samples.length;
    await until('sequential frames', () => samples.length >= from + 4, 60_000);
    assert.deepEqual(samples.slice(from + 1).map((s) => s.latencyFrames), samples.slice(from + 1).map(() => 0), 'sequential steps output the frame just captured');
  } finally {
    await engine.stop();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { fake, FAKE_MODULE, type FakeParams } from './fake-pipelines.js';
import { CopySink, RecordingSink, sleep, StoppableSource, until } from './harness.js';

interface Rig {
  engine: Engine;
  store: ParameterStore<PipelineDefinition['schema']>;
  source: StoppableSource;
  live: CopySink;
  recording: RecordingSink;
}

/** The fake pipeline fed at 30 fps by a source the test can silence, with one live and one recording sink. */
async function rig(params: Partial<FakeParams> = {}, maxFrames?: number): Promise<Rig> {
  const definition = fake as PipelineDefinition;
  const store = new ParameterStore(definition.schema, params);
  const source = new StoppableSource(64, 64, 30);
  const live = new CopySink();
  const recording = new RecordingSink();
  const engine = new Engine({ definition, store, source, sinks: [live, recording], log: silentLogger, pipelineModule: FAKE_MODULE, maxFrames });
  await engine.start();
  return { engine, store, source, live, recording };
}

/** Frames the live and the recording sink got over `ms`. */
async function framesOver(ms: number, live: CopySink, recording: CopySink = live): Promise<[number, number]> {
  const before = [live.frames.length, recording.frames.length] as const;
  await sleep(ms);
  return [live.frames.length - before[0], recording.frames.length - before[1]];
}

test('input outage: live sinks keep getting the last good frame at the output cadence, recordings get nothing', async () => {
  const { engine, source, live, recording } = await rig();
  try {
    await until('frames at 30 fps', () => engine.frameCount >= 20);
    source.stop();
    await sleep(200);
    const held = engine.metrics().heldFrames;
    const fresh = engine.frameCount;
    const [liveN, recordedN] = await framesOver(1000, live, recording);
    // 30 fps for a second; a loop that only sends on new input sends 0. A loaded 2-core machine gets half.
    assert.ok(liveN >= 12, `live sink got ${liveN} frames in 1 s of outage`);
    assert.equal(recordedN, 0, 'a recording never gets held repeats');
    assert.equal(engine.frameCount, fresh, 'no fresh frames without input');
    assert.ok(engine.metrics().heldFrames >= held + liveN, 'repeats count as held frames');
    assert.ok(live.frames.slice(-liveN).every((f) => f.data[0] === 64 / 4), 'the repeats are the last pipeline frame');
    assert.equal(recording.frames.length, engine.frameCount, 'the recording has every fresh frame and nothing else');
  } finally {
    await engine.stop();
  }
});

test('a pipeline failing every frame: live sinks get the held frame, the recording only the fresh ones', async () => {
  const { engine, store, live, recording } = await rig();
  try {
    await until('frames', () => engine.frameCount >= 5);
    store.set('mode', 'throw', 'test');
    await until('failures', () => engine.metrics().failures >= 3);
    const fresh = engine.frameCount;
    const [liveN, recordedN] = await framesOver(500, live, recording);
    assert.ok(liveN >= 5, `live sink got ${liveN} held frames in 0.5 s`);
    assert.equal(recordedN, 0);
    assert.equal(recording.frames.length, fresh);
  } finally {
    await engine.stop();
  }
});

test('before the first result the input is repeated to live sinks when the source goes silent during the load', async () => {
  const definition = fake as PipelineDefinition;
  const source = new StoppableSource(64, 64, 30);
  const live = new CopySink();
  const recording = new RecordingSink();
  const engine = new Engine({ definition, store: new ParameterStore(definition.schema, { load_ms: 1500 }), source, sinks: [live, recording], log: silentLogger, pipelineModule: FAKE_MODULE });
  const started = engine.start();
  try {
    await until('input shown', () => live.frames.length >= 3);
    source.stop();
    const [liveN] = await framesOver(600, live);
    assert.ok(liveN >= 6, `live sink got ${liveN} frames in 0.6 s with no input and no model yet`);
    assert.notEqual(live.frames.at(-1)!.data[0], 64 / 4, 'the input, not pipeline output');
    assert.equal(recording.frames.length, 0, 'the input placeholder is not recorded');
  } finally {
    await started;
    await engine.stop();
  }
});

test('paused: live sinks keep the cadence with the held frame, the recording and the fresh count stand still', async () => {
  const { engine, store, live, recording } = await rig();
  try {
    await until('frames', () => engine.frameCount >= 5);
    store.set('paused', true, 'test');
    await sleep(150);
    const fresh = engine.frameCount;
    const [liveN, recordedN] = await framesOver(800, live, recording);
    assert.ok(liveN >= 8, `live sink got ${liveN} frames in 0.8 s of pause`);
    assert.equal(recordedN, 0);
    assert.equal(engine.frameCount, fresh);
  } finally {
    await engine.stop();
  }
});

test('--frames N during an outage: exactly N frames reach every sink, no held repeats', async () => {
  const { engine, source, live, recording } = await rig({ block_ms: 60 }, 6);
  try {
    await until('3 frames', () => engine.frameCount >= 3);
    source.stop();
    await sleep(400);
    assert.ok(engine.frameCount < 6, 'the outage came before the 6th frame');
    assert.equal(live.frames.length, engine.frameCount, 'no repeats in a --frames run');
    assert.equal(recording.frames.length, engine.frameCount);
  } finally {
    await engine.stop();
  }
});

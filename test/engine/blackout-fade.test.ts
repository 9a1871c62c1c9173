import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { controlSurfaceOf } from '../../src/control/surface.js';
import { Engine } from '../../src/engine/engine.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { createFrame, type Frame } from '../../src/io/frame.js';
import { silentLogger } from '../../src/log.js';
import { withEngineParams } from '../../src/pipelines/engine-params.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { UdpPeer } from '../control/helpers.js';
import { fake, FAKE_MODULE } from './fake-pipelines.js';
import { CollectSink, CopySink, isBlack, StillSource, until } from './harness.js';

const SIZE = 64;

/** Every byte different from its neighbours, alpha 255. */
function gradient(): Frame {
  const frame = createFrame(SIZE, SIZE);
  for (let i = 0; i < frame.data.length; i++) frame.data[i] = i % 4 === 3 ? 255 : (i * 7 + (i >> 8)) % 256;
  return frame;
}

/** The fake pipeline's picture at gain 0.5 (its first byte carries the model width, so it is left out of comparisons). */
const picture = gradient();
const pipelineOut = (i: number) => (i % 4 === 3 ? 255 : Math.round(picture.data[i]! * 0.5));

/** The largest difference from `expected(i)` over the colour bytes (and alpha must stay 255). */
function worst(frame: Frame, expected: (i: number) => number): number {
  let max = 0;
  for (let i = 1; i < frame.data.length; i++) {
    if (i % 4 === 3) assert.equal(frame.data[i], 255, `alpha at ${i}`);
    else max = Math.max(max, Math.abs(frame.data[i]! - expected(i)));
  }
  return max;
}

describe('blackout and fade, applied by the engine to every output frame', () => {
  const definition = withEngineParams(fake as PipelineDefinition);
  const store = new ParameterStore(definition.schema, { gain: 0.5, width: SIZE, height: SIZE });
  const live = new CopySink();
  const kept = new CollectSink();
  const engine = new Engine({ definition, store, source: new StillSource(picture), sinks: [live], openSink: async () => kept, log: silentLogger, pipelineModule: FAKE_MODULE });
  const last = () => live.frames.at(-1)!;
  /** Sets parameters, then waits for an output frame written after the change that fits. */
  const settle = async (patch: Record<string, unknown>, fits: (f: Frame) => boolean) => {
    assert.ok(store.update(patch, 'test').ok);
    const from = live.frames.length;
    await until(`an output after ${JSON.stringify(patch)}`, () => live.frames.slice(from + 1).some(fits), 20_000);
  };

  before(async () => {
    await engine.start();
    await until('fresh frames', () => engine.frameCount >= 3, 20_000);
  });
  after(() => engine.stop());

  it('fade 0 leaves the pipeline output as it is', () => {
    assert.equal(worst(last(), pipelineOut), 0);
  });

  it('fade 0.5 to black halves every colour byte', async () => {
    await settle({ fade: 0.5, fade_to: 'black' }, (f) => worst(f, (i) => pipelineOut(i) / 2) <= 1);
  });

  it('fade 0.25 to the input blends a quarter of the input in; fade 1 shows the input exactly', async () => {
    await settle({ fade: 0.25, fade_to: 'input' }, (f) => worst(f, (i) => 0.75 * pipelineOut(i) + 0.25 * picture.data[i]!) <= 1);
    await settle({ fade: 1 }, (f) => Buffer.from(f.data).equals(picture.data));
  });

  it('blackout wins over any fade: black, alpha 255', async () => {
    await settle({ blackout: true }, (f) => isBlack(f) && worst(f, () => 0) === 0);
    await settle({ blackout: false, fade: 0 }, (f) => worst(f, pipelineOut) === 0);
  });

  it('a partial fade into outputs that copy reuses two buffers, frame after frame', async () => {
    const buffers = new Set<ArrayBufferLike>();
    const collect = (f: Frame) => void buffers.add(f.data.buffer);
    await settle({ fade: 0.5, fade_to: 'black' }, (f) => worst(f, (i) => pipelineOut(i) / 2) <= 1);
    engine.on('frame', collect);
    const from = engine.frameCount;
    await until('20 faded frames', () => engine.frameCount >= from + 20, 20_000);
    engine.off('frame', collect);
    assert.equal(buffers.size, 2);
  });

  it('held frames follow the fade while paused', async () => {
    await settle({ fade: 0, paused: true }, (f) => worst(f, pipelineOut) === 0);
    const fresh = engine.frameCount;
    await settle({ fade: 1, fade_to: 'black' }, isBlack);
    assert.equal(engine.frameCount, fresh, 'no new pipeline frame: a held repeat went out faded');
    await settle({ fade: 0, paused: false }, (f) => worst(f, pipelineOut) === 0);
  });

  it('an output that keeps frames (a recording) gets its own buffer for each faded frame: none is overwritten later', async () => {
    await engine.outputs.add('kept:');
    await settle({ fade: 0.5, fade_to: 'black' }, (f) => worst(f, (i) => pipelineOut(i) / 2) <= 1);
    const from = kept.frames.length;
    await until('20 frames kept', () => kept.frames.length >= from + 20, 20_000);
    await engine.outputs.remove('collect:');
    const faded = kept.frames.slice(from);
    assert.equal(new Set(faded.map((f) => f.data.buffer)).size, faded.length);
    for (const f of faded) assert.ok(worst(f, (i) => pipelineOut(i) / 2) <= 1);
  });
});

describe('blackout and fade on the passthrough pipeline, over OSC', () => {
  it('/sdlive/blackout blacks the output; /sdlive/fade 1 to the input shows the input', { timeout: 60_000 }, async () => {
    const app = await startApp(resolveConfig({
      pipeline: 'passthrough', params: { width: 256, height: 256 }, input: 'test:bars', http: { port: 0 }, midi: { enabled: false },
      osc: { port: 0, host: '127.0.0.1', zeroconf: false },
    }), silentLogger);
    const peer = await UdpPeer.open();
    const port = controlSurfaceOf(app)!.osc.port;
    const next = (fits: (f: Frame) => boolean) => new Promise<void>((resolve) => {
      const check = (f: Frame) => fits(f) && (app.engine.off('frame', check), resolve());
      app.engine.on('frame', check);
    });
    try {
      const black = next((f) => isBlack(f));
      await peer.send(port, '/sdlive/blackout', true);
      await black;
      await peer.send(port, '/sdlive/fade_to', 'input');
      await peer.send(port, '/sdlive/fade', 1);
      // Passthrough shows the input anyway: fade 1 to the input after a blackout is the input, not black.
      const input = next((f) => !isBlack(f) && Buffer.from(f.data).equals(app.engine.input!.data));
      await peer.send(port, '/sdlive/blackout', false);
      await input;
    } finally {
      peer.close();
      await app.stop();
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configFromFlags } from '../../src/cli/commands/run.js';
import { Engine } from '../../src/engine/engine.js';
import { prometheusText } from '../../src/engine/prometheus.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { createFrame, type Frame } from '../../src/io/frame.js';
import { renderTestPattern } from '../../src/io/test-pattern.js';
import { StatsCounter, type FrameSource } from '../../src/io/transport.js';
import { silentLogger } from '../../src/log.js';
import { CONTROLNET_CHOICES, controlNetCatalogue, controlNetChoices } from '../../src/models/controlnet-catalogue.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { streamDiffusion } from '../../src/pipelines/streamdiffusion/index.js';
import { CopySink, StillSource, until } from './harness.js';

/*
 * The engine with the real StreamDiffusion worker on builtin:tiny-controlnet, a main input and a second frame
 * source (control_input) driving builtin:controlnet-tiny. Sequential mode: the output depends only on the input
 * and the control image of the frame, so pictures can be compared exactly.
 */
const SIZE = 256;

/** A control feed that shows one frame until told another (a depth or edge feed from another program). */
class ControlFeed implements FrameSource {
  readonly spec = 'control:';
  private readonly counter = new StatsCounter();
  private frame: Frame | undefined;

  show(frame: Frame): void {
    this.frame = { ...frame, timestamp: performance.now() };
    this.counter.record(0);
  }

  latest(): Frame | undefined {
    return this.frame;
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {}
}

/** Half the picture white, at a different split per k: an edge map that moves. */
function controlImage(k: number, size = SIZE): Frame {
  const f = createFrame(size, size, 0);
  for (let p = 0; p < size * size; p++) {
    const v = p % size < size * (0.2 + 0.15 * k) ? 255 : 0;
    f.data.set([v, v, v, 255], p * 4);
  }
  return f;
}

test('a second frame source drives the ControlNet; its last frame holds, also across a background reload', async () => {
  const definition = streamDiffusion as PipelineDefinition;
  const params = {
    model: 'builtin:tiny-controlnet', execution_providers: ['cpu'], width: SIZE, height: SIZE, use_denoising_batch: false, cfg_type: 'none',
    controlnet_1: 'builtin:controlnet-tiny', controlnet_1_scale: 2,
  };
  const store = new ParameterStore(definition.schema, params, { [CONTROLNET_CHOICES]: controlNetChoices(controlNetCatalogue()) });
  const control = new ControlFeed();
  // A control feed of another size is fitted to the generation size like the main input.
  control.show(controlImage(0, 128));
  const sink = new CopySink();
  const engine = new Engine({ definition, store, source: new StillSource(renderTestPattern(SIZE, SIZE, 5, 30)), controlSource: control, sinks: [sink], log: silentLogger });
  // Copied as they come: the engine recycles output buffers.
  const fresh: Buffer[] = [];
  engine.on('timing', () => fresh.push(Buffer.from(engine.output!.data)));
  const settled = async (what: string, cond: (f: Buffer) => boolean = () => true) => {
    await until(what, () => fresh.length >= 2 && fresh.at(-1)!.equals(fresh.at(-2)!) && cond(fresh.at(-1)!), 60_000);
    return fresh.at(-1)!;
  };
  await engine.start();
  try {
    const withA = await settled('pictures with control frame A');
    control.show(controlImage(2));
    const withB = await settled('pictures with control frame B', (f) => !f.equals(withA));
    control.show(controlImage(0, 128));
    assert.ok((await settled('control frame A again', (f) => f.equals(withA))).equals(withA));
    assert.ok(!withB.equals(withA));

    assert.ok(store.update({ controlnet_1_scale: 0 }, 'osc').ok);
    const atZero = await settled('scale 0', (f) => !f.equals(withA));
    assert.ok(store.update({ controlnet_1_scale: 2 }, 'osc').ok);
    await settled('scale 2 again', (f) => f.equals(withA));
    assert.equal(engine.metrics().model.loads, 1, 'scale changes need no reload');
    assert.ok(!atZero.equals(withA));

    // A second ControlNet slot is a load parameter: a background reload, after which the held control frame (A,
    // not shown again) still drives slot 1; slot 2 at scale 0 adds nothing.
    assert.ok(store.update({ controlnet_2: 'builtin:controlnet-tiny-noscale', controlnet_2_scale: 0 }, 'osc').ok);
    await until('the reload', () => engine.metrics().model.loads === 2 && !engine.metrics().model.loading, 60_000);
    fresh.length = 0;
    assert.ok((await settled('pictures after the reload')).equals(withA), 'the new pipeline got the held control frame');
    assert.equal(engine.metrics().failures, 0);
    const io = engine.metrics().io.control;
    assert.equal(io?.spec, 'control:');
    assert.equal(io?.frames, 3, 'the control feed showed three frames');
    assert.match(prometheusText(engine.metrics()), /direction="control"/);
  } finally {
    await engine.stop();
  }
});

test('control_input comes from the config file (relative to it) or --control-input, and is optional', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdlive-cn-config-'));
  const file = join(dir, 'show.json');
  writeFileSync(file, JSON.stringify({ input: 'test:bars', control_input: 'file:depth/%04d.png' }));
  assert.equal((await configFromFlags({ config: file })).control_input, `file:${join(dir, 'depth/%04d.png')}`);
  assert.equal((await configFromFlags({ config: file, controlInput: 'shm:depth' })).control_input, 'shm:depth');
  assert.equal((await configFromFlags({})).control_input, undefined);
});

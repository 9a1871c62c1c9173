import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import type { Frame } from '../../src/io/frame.js';
import { renderTestPattern } from '../../src/io/test-pattern.js';
import { LORA_CHOICES, LoraCatalogue } from '../../src/models/lora/catalogue.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { streamDiffusion } from '../../src/pipelines/streamdiffusion/index.js';
import { captureLog } from '../helpers/log-lines.js';
import { writeTinyKohyaLora } from '../models/fixtures/lora-fixtures.js';
import { CopySink, longestGap, StillSource, until } from './harness.js';

/* The real StreamDiffusion pipeline in its worker on the tiny model at 256x256, a LoRA rescaled over "OSC". */
const SIZE = 256;
const root = mkdtempSync(join(tmpdir(), 'sdlive-lora-engine-'));
after(() => rmSync(root, { recursive: true, force: true }));

const same = (a: Frame, b: Frame) => Buffer.from(a.data).equals(Buffer.from(b.data));

test('a LoRA scale change during the show reloads in the background: the output never stops, the new weights show, the time is measured', async () => {
  const loraDir = join(root, 'loras');
  writeTinyKohyaLora(join(loraDir, 'style.safetensors'));
  writeFileSync(join(loraDir, 'broken.safetensors'), 'not a safetensors file');
  const definition = streamDiffusion as PipelineDefinition;
  const initial = { model: 'builtin:tiny', execution_providers: ['cpu'], width: SIZE, height: SIZE, cfg_type: 'none', reload_strategy: 'parallel', lora: [{ name: 'style', scale: 0.5 }], lora_dir: loraDir };
  const store = new ParameterStore(definition.schema, initial, { [LORA_CHOICES]: new LoraCatalogue(() => loraDir) });
  const sink = new CopySink();
  const { log, lines } = captureLog();
  const engine = new Engine({ definition, store, source: new StillSource(renderTestPattern(SIZE, SIZE, 5, 30)), sinks: [sink], log });
  const fresh: number[] = [];
  engine.on('timing', () => fresh.push(performance.now()));
  await engine.start();
  try {
    await until('fresh frames', () => engine.frameCount >= 4, 60_000);
    const before = sink.frames.at(-1)!;
    const [fromFresh, fromSink] = [fresh.length, sink.frames.length];
    assert.ok(store.update({ lora: [{ name: 'style', scale: 1.5 }] }, 'osc').ok);
    await until('the swap', () => engine.metrics().model.loads === 2 && !engine.metrics().model.loading, 120_000);
    const n = engine.frameCount;
    await until('fresh frames from the rescaled model', () => engine.frameCount >= n + 3, 60_000);
    const m = engine.metrics();
    assert.deepEqual([m.model.loadFailures, m.failures], [0, 0]);
    assert.ok(!same(sink.frames.at(-1)!, before), 'the new scale shows on the same still input');
    // The load took seconds of fusing and session creation; without a background reload nothing would reach the sinks meanwhile.
    assert.ok(m.model.lastLoadMs > 0);
    const sinkGap = longestGap(sink, fromSink);
    let freshGap = 0;
    for (let i = fromFresh + 1; i < fresh.length; i++) freshGap = Math.max(freshGap, fresh[i]! - fresh[i - 1]!);
    assert.ok(sinkGap < m.model.lastLoadMs && freshGap < m.model.lastLoadMs, `longest gaps: sink ${sinkGap.toFixed(0)} ms, fresh ${freshGap.toFixed(0)} ms; load ${m.model.lastLoadMs.toFixed(0)} ms`);
    const fused = lines.map((l) => JSON.parse(l) as { msg: string; ms?: number; cached?: boolean }).filter((l) => l.msg === 'LoRAs fused into the model');
    assert.equal(fused.length, 2, 'one fuse per scale, each with its time');
    assert.ok(fused.every((l) => typeof l.ms === 'number'));

    assert.ok(store.update({ lora: 'broken' }, 'osc').ok);
    await until('the failed reload', () => engine.metrics().model.loadFailures === 1 && !engine.metrics().model.loading, 60_000);
    const k = engine.frameCount;
    await until('fresh frames from the previous model', () => engine.frameCount >= k + 2, 60_000);
    assert.match(engine.metrics().model.lastLoadError ?? '', /SDL_ERR_LORA: .*not a safetensors file/);
    assert.deepEqual((store.snapshot as { lora: unknown }).lora, [{ name: 'style', scale: 1.5 }], 'the parameter shows what runs again');
  } finally {
    await engine.stop();
  }
});

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { isSdliveError } from '../../src/errors.js';
import { parseBank } from '../../src/control/presets/bank.js';
import { SHIPPED_BANKS_DIR } from '../../src/control/presets/config.js';
import { PresetFields } from '../../src/control/presets/fields.js';
import { param } from '../../src/schema/param.js';
import { StreamDiffusionParams, streamDiffusionFields } from '../../src/pipelines/streamdiffusion/schema.js';
import { captureLog } from '../helpers/log-lines.js';
import { runCli } from '../helpers/cli.js';
import { BeatScheduler } from '../../src/control/tempo/beat-scheduler.js';
import { TempoClock } from '../../src/control/tempo/tempo-clock.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { presetRig } from './preset-rig.js';

const fields = new PresetFields(StreamDiffusionParams);
const bankText = (params: Record<string, unknown>) => JSON.stringify({ name: 'b', presets: [{ name: 'ok', params: { delta: 0.5 } }, { name: 'bad', params }] });

/** The SDL_ERR_PRESET a bank with this second preset is refused with. */
function refusal(params: Record<string, unknown>) {
  try {
    parseBank('show.json', bankText(params), fields);
  } catch (e) {
    assert.ok(isSdliveError(e, 'SDL_ERR_PRESET'), String(e));
    return e;
  }
  assert.fail(`accepted ${JSON.stringify(params)}`);
}

describe('preset fields come from the pipeline schema', () => {
  it('holds the runtime parameters, not load-time ones nor the show controls', () => {
    for (const key of ['prompt', 'seed', 'delta', 't_index_list', 'guidance_scale', 'cfg_type', 'negative_prompt']) assert.ok(fields.keys.includes(key), key);
    for (const key of ['model', 'width', 'execution_providers', 'paused', 'fps_cap', 'morph', 'quantize', 'blackout', 'fade']) assert.ok(!fields.keys.includes(key), key);
    assert.ok(fields.keys.includes('modulators'), 'modulators are part of a look');
  });

  it('follows the schema: a runtime parameter added to it is a preset field, range included', () => {
    const extended = z.strictObject({ ...streamDiffusionFields, shimmer: param(z.number().min(0).max(1).default(0), { label: 'Shimmer', group: 'FX', order: 90, phase: 'runtime', description: 'test' }) });
    assert.ok(!new PresetFields(StreamDiffusionParams).keys.includes('shimmer'));
    const more = new PresetFields(extended);
    assert.ok(more.keys.includes('shimmer'));
    assert.deepEqual(more.check({ shimmer: 0.5 }), { params: { shimmer: 0.5 } });
    assert.equal((more.check({ shimmer: 2 }) as { problem: { path: string } }).problem.path, 'shimmer');
  });
});

describe('bank files: validated by the schema, errors name the file and the field', () => {
  it('an unknown parameter, with the likely name', () => {
    const e = refusal({ deltaa: 1 });
    assert.equal(e.field, 'presets[1].params.deltaa');
    assert.match(e.message, /^show\.json: presets\[1\]\.params\.deltaa: unknown parameter "deltaa" \(did you mean "delta"\?\)/);
  });

  it('a load-time parameter and a show control', () => {
    assert.match(refusal({ model: 'builtin:tiny' }).message, /presets\[1\]\.params\.model: model is a load-time parameter/);
    assert.equal(refusal({ width: 512 }).field, 'presets[1].params.width');
    assert.match(refusal({ paused: true }).message, /paused is a show control/);
  });

  it('out of range, inside a list, and a combination the schema refuses', () => {
    const range = refusal({ delta: 9 });
    assert.equal(range.field, 'presets[1].params.delta');
    assert.match(range.message, /<=5/);
    assert.equal(refusal({ prompt: [{ text: 'a', weight: 20 }] }).field, 'presets[1].params.prompt.0.weight');
    assert.equal(refusal({ t_index_list: [10, 30], num_inference_steps: 20 }).field, 'presets[1].params.t_index_list.1');
  });

  it('duplicate names or numbers, a name of digits only', () => {
    const dup = JSON.stringify({ name: 'b', presets: [{ name: 'a', number: 3, params: {} }, { name: 'b', number: 3, params: {} }] });
    assert.throws(() => parseBank('x.json', dup, fields), (e: Error & { field?: string }) => e.field === 'presets[1].number');
    const digits = JSON.stringify({ name: 'b', presets: [{ name: '12', params: {} }] });
    assert.throws(() => parseBank('x.json', digits, fields), /presets\[0\]\.name: not only digits/);
  });

  it('the shipped starter bank loads and every preset of it applies on the defaults', () => {
    const bank = parseBank('streamdiffusion.json', readFileSync(join(SHIPPED_BANKS_DIR, 'streamdiffusion.json'), 'utf8'), fields);
    assert.ok(bank.presets.length >= 4);
    for (const p of bank.presets) assert.ok(StreamDiffusionParams.safeParse({ ...p.params }).success, p.name);
  });
});

describe('preset commands', () => {
  it('save then recall restores every runtime parameter; the file on disk holds what was saved', async () => {
    const rig = await presetRig();
    const look = { prompt: [{ text: 'a red fox', weight: 1 }, { text: 'snow', weight: 0.5 }], seed: 9, delta: 0.4, t_index_list: [20, 40], guidance_scale: 1.7, cfg_type: 'full' };
    assert.ok(rig.store.update(look, 'osc').ok);
    assert.deepEqual(await rig.run('save', 'fox'), { name: 'fox', number: 1 });
    assert.ok(rig.store.update({ prompt: 'something else', seed: 1, delta: 2, t_index_list: [5], cfg_type: 'none', paused: true }, 'osc').ok);
    assert.deepEqual(await rig.run('recall', 'fox'), { name: 'fox', number: 1, seconds: 0 });
    for (const [key, value] of Object.entries(look)) assert.deepEqual(rig.values()[key], value, key);
    assert.equal(rig.values().paused, true, 'show controls are not part of a look');
    const onDisk = JSON.parse(readFileSync(join(rig.folder, 'show.json'), 'utf8')) as { presets: { name: string; number: number; params: Record<string, unknown> }[] };
    assert.equal(onDisk.presets[0]!.params.delta, 0.4);
    assert.ok(!('paused' in onDisk.presets[0]!.params) && !('model' in onDisk.presets[0]!.params));
    assert.deepEqual(await rig.run('recall', 1), { name: 'fox', number: 1, seconds: 0 }, 'by number');
    assert.deepEqual(await rig.run('recall', '1'), { name: 'fox', number: 1, seconds: 0 }, 'a number as text (OSC string, CLI)');
    assert.deepEqual(rig.commands.get('preset/recall')!.read!(), ['fox']);
    rig.close();
  });

  it('with quantize, a recall waits for the next beat less the lookahead (120 bpm: beat at 500 ms, 100 ms early)', async () => {
    const clock = new FakeClock();
    const scheduler = new BeatScheduler(new TempoClock(clock), clock, () => 100, (e) => assert.fail(String(e)));
    const rig = await presetRig({ clock, quantized: (run) => void scheduler.scheduleAtBeat(run, 'beat') });
    assert.ok(rig.store.update({ delta: 0.4 }, 'osc').ok);
    await rig.run('save', 'calm');
    assert.ok(rig.store.update({ delta: 2 }, 'osc').ok);
    clock.advance(100);
    await rig.run('recall', 'calm');
    clock.advanceTo(399);
    assert.equal(rig.values().delta, 2, 'not before its time');
    clock.advanceTo(400);
    assert.equal(rig.values().delta, 0.4);
    rig.close();
  });

  it('a bank written by one library is read back the same by another', async () => {
    const rig = await presetRig();
    rig.store.update({ prompt: 'a', delta: 0.3 }, 'osc');
    await rig.run('save', 'one', 7);
    rig.store.update({ prompt: 'b', delta: 0.6 }, 'osc');
    await rig.run('save', 'two');
    const again = await presetRig({ folder: rig.folder });
    assert.deepEqual(again.library.presets, rig.library.presets);
    assert.deepEqual((await again.run('list')) as object, { bank: 'show', presets: [{ name: 'one', number: 7 }, { name: 'two', number: 1 }], banks: ['show'], recalled: '' });
    rig.close();
    again.close();
  });

  it('list, rename, delete; a taken number and a missing preset are refused', async () => {
    const rig = await presetRig();
    await rig.run('save', 'a', 3);
    await rig.run('save', 'b');
    await assert.rejects(rig.run('save', 'c', 3), /number 3 is preset "a"/);
    await assert.rejects(rig.run('rename', 'a', 'b'), /exists already/);
    assert.deepEqual(await rig.run('rename', 'a', 'dawn'), { name: 'dawn', number: 3 });
    assert.deepEqual(await rig.run('delete', 'b'), { name: 'b', number: 1 });
    await assert.rejects(rig.run('recall', 'b'), /no preset "b" in bank show/);
    await assert.rejects(rig.run('recall', 9), /no preset number 9/);
    assert.deepEqual(((await rig.run('list')) as { presets: unknown }).presets, [{ name: 'dawn', number: 3 }]);
    rig.close();
  });

  it('concurrent saves are written one at a time: all of them land, no temporary file stays', async () => {
    const rig = await presetRig();
    await Promise.all(Array.from({ length: 12 }, (_, i) => rig.run('save', `look ${i}`)));
    const onDisk = JSON.parse(readFileSync(join(rig.folder, 'show.json'), 'utf8')) as { presets: { number: number }[] };
    assert.deepEqual(onDisk.presets.map((p) => p.number).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
    assert.deepEqual(readdirSync(rig.folder), ['show.json']);
    rig.close();
  });

  it('switches banks; a broken bank file at run time is one log line and the bank in use stays', async () => {
    const { log, lines } = captureLog();
    const rig = await presetRig({ log });
    await rig.run('save', 'kept');
    writeFileSync(join(rig.folder, 'broken.json'), bankText({ delta: 'loud' }));
    await assert.rejects(rig.run('bank', 'broken'), /broken\.json: presets\[1\]\.params\.delta/);
    assert.equal(lines.filter((l) => l.includes('broken.json')).length, 1);
    assert.equal(rig.library.failures, 1, 'counted for the metrics');
    assert.match(lines.find((l) => l.includes('broken.json'))!, /keeping bank show/);
    assert.deepEqual(rig.commands.get('preset/bank')!.read!(), ['show']);
    assert.deepEqual(await rig.run('recall', 'kept'), { name: 'kept', number: 1, seconds: 0 });
    assert.deepEqual(await rig.run('bank', 'fresh'), { bank: 'fresh', presets: [] }, 'a new bank starts empty');
    await assert.rejects(rig.run('bank', '../escape'), /bank|letters/);
    rig.close();
  });

  it('the shipped banks are read-only', async () => {
    const rig = await presetRig({ folder: SHIPPED_BANKS_DIR, bank: 'streamdiffusion' });
    await assert.rejects(rig.run('save', 'mine'), /shipped banks are read-only: set presets.folder/);
    assert.ok(rig.library.presets.every((p) => p.name !== 'mine'));
    rig.close();
  });
});

describe('start-up', () => {
  it('a broken bank file stops start-up with exit 2, naming the file and the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdlive-bank-start-'));
    writeFileSync(join(dir, 'show.json'), JSON.stringify({ name: 'show', presets: [{ name: 'x', params: { fps_cap: 30 } }] }));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ pipeline: 'passthrough', params: { width: 256, height: 256 }, http: { port: 0 }, osc: { port: 0, zeroconf: false }, midi: { enabled: false }, presets: { folder: '.', bank: 'show' } }));
    const res = await runCli(['run', '--config', config]);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /SDL_ERR_PRESET: .*show\.json: presets\[0\]\.params\.fps_cap: fps_cap is a show control/);
  });
});

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { MappingFile } from '../../src/control/mappings/schema.js';
import { MidiMapper } from '../../src/control/midi/mapper.js';
import type { ControlStore } from '../../src/control/osc/server.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { waitFor } from './helpers.js';

const space = new AddressSpace(StreamDiffusionParams);
const CC = 0xb0;
const near = (a: unknown, b: number, eps = 1e-3) => assert.ok(Math.abs((a as number) - b) < eps, `${String(a)} != ${b}`);

describe('MIDI mapping engine (byte streams in, store changes out)', () => {
  let store: ControlStore;
  let mapper: MidiMapper;
  const p = () => store.snapshot as Record<string, unknown>;
  const use = (midi: unknown[], device?: string) => mapper.setMappings([{ file: 't.json', mapping: MappingFile.parse({ name: 't', device, midi }) }]);
  const send = (...msgs: number[][]) => msgs.forEach((m) => mapper.handleBytes(m, 'MIDI Mix 1'));

  beforeEach(() => {
    store = new ParameterStore(StreamDiffusionParams, { prompt: [{ text: 'a' }, { text: 'b' }, { text: 'c' }] });
    mapper = new MidiMapper(store, space, silentLogger);
  });

  it('maps 7-bit CC over the parameter range, with range, invert and curves', () => {
    use([{ type: 'cc', number: 1, param: 'delta' }, { type: 'cc', number: 2, param: 'guidance_scale', range: [2, 4], invert: true }, { type: 'cc', number: 3, param: 'similarity_threshold', curve: 'exponential' }]);
    send([CC, 1, 127]);
    assert.equal(p().delta, 5);
    send([CC, 1, 0]);
    assert.equal(p().delta, 0);
    send([CC, 2, 0]);
    near(p().guidance_scale, 4);
    send([CC, 2, 127]);
    near(p().guidance_scale, 2);
    send([CC, 3, 64]);
    assert.ok((p().similarity_threshold as number) < 0.2, 'exponential curve is fine at the bottom');
  });

  it('pairs 14-bit CC MSB/LSB and decodes NRPN (data entry and increment)', () => {
    use([{ type: 'cc14', number: 7, param: 'delta' }, { type: 'nrpn', number: 300, param: 'guidance_scale', step: 0.01 }]);
    send([CC, 7, 64], [CC, 39, 0]);
    near(p().delta, (8192 / 16383) * 5);
    send([CC, 7, 127], [CC, 39, 127]);
    assert.equal(p().delta, 5);
    send([CC, 99, 300 >> 7], [CC, 98, 300 & 0x7f], [CC, 6, 32], [CC, 38, 0]);
    near(p().guidance_scale, ((32 << 7) / 16383) * 5); // guidance's norm range is 0..5
    const before = p().guidance_scale as number;
    send([CC, 96, 1]);
    near(p().guidance_scale, before + 0.05);
    send([CC, 99, 0], [CC, 98, 1], [CC, 6, 127], [CC, 38, 127]);
    near(p().guidance_scale, before + 0.05, 1e-9);
  });

  it('reads relative encoders in two\'s complement, binary offset and sign-magnitude', () => {
    use([
      { type: 'relative', number: 10, param: 'delta', step: 0.1 },
      { type: 'relative', number: 11, param: 'delta', encoding: 'binary_offset', step: 0.1 },
      { type: 'relative', number: 12, param: 'delta', encoding: 'sign_magnitude', step: 0.1 },
    ]);
    store.set('delta', 2.5, 'test');
    send([CC, 10, 1]);
    near(p().delta, 3);
    send([CC, 10, 126]);
    near(p().delta, 2);
    send([CC, 11, 65]);
    near(p().delta, 2.5);
    send([CC, 11, 62]);
    near(p().delta, 1.5);
    send([CC, 12, 0x40 | 1]);
    near(p().delta, 1);
    send([CC, 12, 3]);
    near(p().delta, 2.5);
  });

  it('pick-up ignores the knob until it crosses the value; another source releases it again', () => {
    use([{ type: 'cc', number: 1, param: 'delta', takeover: 'pickup' }]);
    store.set('delta', 2.5, 'osc');
    send([CC, 1, 0], [CC, 1, 20]);
    assert.equal(p().delta, 2.5, 'not caught yet');
    send([CC, 1, 80]);
    near(p().delta, (80 / 127) * 5, 1e-9);
    send([CC, 1, 90]);
    near(p().delta, (90 / 127) * 5, 1e-9);
    store.set('delta', 1, 'osc');
    send([CC, 1, 95]);
    assert.equal(p().delta, 1, 'moved elsewhere: must catch again');
    send([CC, 1, 10]);
    near(p().delta, (10 / 127) * 5, 1e-9);
  });

  it('value-scaling converges proportionally toward the end the knob heads for', () => {
    use([{ type: 'cc', number: 1, param: 'delta', takeover: 'scale' }]);
    store.set('delta', 4, 'osc');
    send([CC, 1, 25]);
    assert.equal(p().delta, 4, 'first message only locates the knob');
    const last = 25 / 127;
    const pos = 38 / 127;
    send([CC, 1, 38]);
    near(p().delta, (0.8 + ((pos - last) * (1 - 0.8)) / (1 - last)) * 5, 1e-9);
    send([CC, 1, 127]);
    assert.equal(p().delta, 5, 'both meet at the end of travel');
  });

  it('smooths a jump over the slew time', async () => {
    use([{ type: 'cc', number: 1, param: 'delta', smoothing_ms: 40 }]);
    const from = p().delta as number;
    const t0 = performance.now();
    send([CC, 1, 127]);
    assert.equal(p().delta, from, 'a jump is not applied at once');
    const steps: { value: number; ms: number }[] = [];
    await waitFor(() => {
      const value = p().delta as number;
      if (value !== (steps.at(-1)?.value ?? from)) steps.push({ value, ms: performance.now() - t0 });
      return value === 5;
    }, 'the glide to arrive', 10_000);
    assert.ok(steps.every((s, i) => s.value > (steps[i - 1]?.value ?? from)), `a glide only moves toward the target: ${JSON.stringify(steps)}`);
    // Within two time constants the value is at most 1 - e^-2 = 86 % of the way; a first tick that a loaded
    // machine delays past that may land on the target itself.
    if (steps[0]!.ms < 80) assert.ok(steps[0]!.value < 5, `gliding, at ${steps[0]!.value} after ${steps[0]!.ms.toFixed(0)} ms`);
  });

  it('maps buttons as trigger, toggle and hold; notes and CC buttons; enums cycle', () => {
    use([
      { type: 'note', number: 36, param: 'paused', button: 'toggle' },
      { type: 'note', number: 37, param: 'cfg_type', button: 'trigger' },
      { type: 'note', number: 38, param: 'mode', button: 'hold', value: 'txt2img' },
      { type: 'cc', number: 20, param: 'mode', button: 'toggle', value: 'txt2img', off: 'img2img' },
      { type: 'note', number: 39, param: 'prompts/select', button: 'trigger', value: 2 },
    ]);
    send([0x90, 36, 100], [0x80, 36, 0]);
    assert.equal(p().paused, true);
    send([0x90, 36, 100], [0x90, 36, 0]);
    assert.equal(p().paused, false);
    send([0x90, 37, 127]);
    assert.equal(p().cfg_type, 'initialize');
    send([0x90, 37, 127]);
    assert.equal(p().cfg_type, 'none');
    send([0x90, 38, 127]);
    assert.equal(p().mode, 'txt2img');
    send([0x80, 38, 0]);
    assert.equal(p().mode, 'img2img');
    send([CC, 20, 127], [CC, 20, 0]);
    assert.equal(p().mode, 'txt2img');
    send([CC, 20, 127]);
    assert.equal(p().mode, 'img2img');
    send([0x90, 39, 127]);
    assert.deepEqual((p().prompt as { weight: number }[]).map((e) => e.weight), [0, 0, 1]);
  });

  it('maps discrete targets from a knob into equal bins, pitch bend, and program change as an action', () => {
    use([{ type: 'cc', number: 5, param: 'cfg_type' }, { type: 'pitchbend', param: 'delta' }, { type: 'program', param: 'prompts/select' }]);
    send([CC, 5, 0]);
    assert.equal(p().cfg_type, 'none');
    send([CC, 5, 127]);
    assert.equal(p().cfg_type, 'initialize');
    send([CC, 5, 70]);
    assert.equal(p().cfg_type, 'self');
    send([0xe0, 0x7f, 0x7f]);
    assert.equal(p().delta, 5);
    send([0xe0, 0, 0x40]);
    near(p().delta, (8192 / 16383) * 5);
    send([0xc0, 1]);
    assert.deepEqual((p().prompt as { weight: number }[]).map((e) => e.weight), [0, 1, 0]);
    send([0xc0, 9]);
    assert.deepEqual((p().prompt as { weight: number }[]).map((e) => e.weight), [0, 1, 0], 'program beyond the list is rejected, state kept');
  });

  it('applies a mapping only to the device it names, and only on its channel', () => {
    use([{ type: 'cc', number: 1, channel: 2, param: 'delta' }], 'nanoKONTROL2');
    send([CC | 1, 1, 127]);
    assert.equal(p().delta, 1, 'other device');
    mapper.handleBytes([CC | 1, 1, 127], 'nanoKONTROL2 SLIDER/KNOB');
    assert.equal(p().delta, 5);
    mapper.handleBytes([CC, 1, 0], 'nanoKONTROL2 SLIDER/KNOB');
    assert.equal(p().delta, 5, 'other channel');
  });
});

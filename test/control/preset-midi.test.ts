import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { parseMapping, resolveMappingPath } from '../../src/control/mappings/load.js';
import { MappingFile } from '../../src/control/mappings/schema.js';
import { MidiMapper } from '../../src/control/midi/mapper.js';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { pipelineByName } from '../../src/pipelines/registry.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { captureLog } from '../helpers/log-lines.js';
import { waitFor } from './helpers.js';
import { presetRig } from './preset-rig.js';

const PROGRAM = 0xc0;

describe('MIDI program change recalls a preset by number', () => {
  it('through the mapper: program + offset is the preset number; a program with no preset is one refusal', async () => {
    const { log, lines } = captureLog();
    const rig = await presetRig({ log });
    for (const [name, delta] of [['low', 0.2], ['mid', 0.5], ['high', 0.9]] as const) {
      rig.store.set('delta', delta, 'osc');
      await rig.run('save', name);
    }
    const mapper = new MidiMapper(rig.store, new AddressSpace(StreamDiffusionParams), log, rig.commands);
    const mapping = MappingFile.parse({ name: 'pc', midi: [{ type: 'program', channel: 2, command: 'preset/recall', offset: 1 }] });
    mapper.setMappings([{ file: 'pc.json', mapping }]);
    mapper.handleBytes([PROGRAM | 1, 1]);
    await waitFor(() => rig.values().delta === 0.5, 'program 1 -> preset 2');
    mapper.handleBytes([PROGRAM | 1, 0]);
    await waitFor(() => rig.values().delta === 0.2, 'program 0 -> preset 1');
    assert.deepEqual(rig.commands.get('preset/recall')!.read!(), ['low']);
    mapper.handleBytes([PROGRAM | 0, 2]);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(rig.values().delta, 0.2, 'another channel does nothing');
    mapper.handleBytes([PROGRAM | 1, 40]);
    await waitFor(() => mapper.failures === 1, 'the refusal counted');
    assert.match(lines.find((l) => l.includes('preset/recall'))!, /no preset number 41/);
    assert.equal(rig.values().delta, 0.2);
    rig.close();
  });

  it('mapping files: a command binding needs no parameter address; a malformed command name names the field', () => {
    const file = resolveMappingPath('program-change-presets');
    const passthrough = new AddressSpace(pipelineByName('passthrough').schema);
    const mapping = parseMapping(file, readFileSync(file, 'utf8'), passthrough);
    assert.deepEqual(mapping.midi[0], { type: 'program', channel: 1, command: 'preset/recall', offset: 1, param: 'prompts/select' });
    const bad = JSON.stringify({ name: 'x', midi: [{ type: 'program', command: 'Preset Recall' }] });
    assert.throws(() => parseMapping('x.json', bad, passthrough), /x\.json: midi\[0\]\.command: a command name/);
  });
});

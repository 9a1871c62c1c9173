import { z } from 'zod';
import type { ParameterStore } from '../../engine/parameter-store.js';
import type { CommandRegistry } from '../commands/registry.js';
import { ControlError } from '../space/values.js';
import { BankName, type Preset, PresetName, PresetNumber } from './bank.js';
import type { PresetFields } from './fields.js';
import type { PresetLibrary } from './library.js';
import type { Morph, MorphDuration } from './morph.js';

export interface PresetCommandDeps {
  library: PresetLibrary;
  morph: Morph;
  fields: PresetFields;
  store: ParameterStore<z.ZodType>;
  /** Runs a recall now, or on the next beat or bar as the `quantize` parameter says. */
  quantized: (run: () => void) => void;
}

/** A preset by name, or by number ("3" from an OSC string or the CLI is the number 3: names are never only digits). */
const NameOrNumber = z.union([PresetNumber, z.string().min(1).max(64)])
  .transform((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v));

const BEATS = /^(\d+(?:\.\d+)?)\s*(?:b|beats?)$/;

/** Seconds as a number, or beats as "4b" / "4 beats" (these need the tempo clock). */
const Duration = z.union([
  z.number().min(0).max(3600).transform((seconds): MorphDuration => ({ seconds })),
  z.string().regex(BEATS, 'seconds, or beats as "4b"').transform((s): MorphDuration => ({ beats: Number(BEATS.exec(s)![1]) })),
]);

const summary = (p: Preset) => ({ name: p.name, ...(p.number === undefined ? {} : { number: p.number }) });

/** preset/save, recall, list, rename, delete and bank; returns the function that removes them. */
export function registerPresetCommands(commands: CommandRegistry, deps: PresetCommandDeps): () => void {
  const { library, morph, fields, store, quantized } = deps;
  let lastRecalled = '';
  const removers = [
    commands.register({
      name: 'preset/save', types: 'si', args: z.tuple([PresetName, PresetNumber.optional()]),
      description: 'Save the current look (every runtime parameter) as a preset of the bank in use: NAME [NUMBER]; an existing name is replaced',
      run: async ([name, number]) => summary(await library.save(name, fields.pick(store.snapshot as Record<string, unknown>), number)),
    }),
    commands.register({
      name: 'preset/recall', types: 'sf', args: z.tuple([NameOrNumber, Duration.optional()]),
      description: 'Recall a preset by name or number, at once or morphing over SECONDS (or "4b" beats); reads the preset last recalled',
      run: ([key, duration]) => {
        const preset = library.find(key);
        if (!preset) throw new ControlError('rejected', `no preset ${typeof key === 'number' ? `number ${key}` : `"${key}"`} in bank ${library.name}`);
        quantized(() => morph.start(preset.params, duration ?? { seconds: 0 }));
        lastRecalled = preset.name;
        return { ...summary(preset), ...(duration ?? { seconds: 0 }) };
      },
      read: () => [lastRecalled],
    }),
    commands.register({
      name: 'preset/list', types: '', args: z.tuple([]),
      description: 'The presets of the bank in use (name and number), the bank names in the folder, the preset last recalled',
      run: async () => ({ bank: library.name, presets: library.presets.map(summary), banks: await library.banks(), recalled: lastRecalled }),
    }),
    commands.register({
      name: 'preset/rename', types: 'ss', args: z.tuple([z.string(), PresetName]),
      description: 'Rename a preset: OLD NEW',
      run: async ([from, to]) => summary(await library.rename(from, to)),
    }),
    commands.register({
      name: 'preset/delete', types: 's', args: z.tuple([z.string()]),
      description: 'Delete a preset from the bank in use',
      run: async ([name]) => summary(await library.delete(name)),
    }),
    commands.register({
      name: 'preset/bank', types: 's', args: z.tuple([BankName]),
      description: 'Switch to another bank of the folder (or read this one again after editing its file); reads the bank in use',
      run: async ([name]) => ({ bank: name, presets: (await library.switchTo(name)).presets.map(summary) }),
      read: () => [library.name],
    }),
  ];
  return () => removers.forEach((remove) => remove());
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { CommandRegistry } from '../../src/control/commands/registry.js';
import { registerPresetCommands } from '../../src/control/presets/commands.js';
import { PresetFields } from '../../src/control/presets/fields.js';
import { PresetLibrary } from '../../src/control/presets/library.js';
import { Morph } from '../../src/control/presets/morph.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** The preset commands over a StreamDiffusion store, a bank folder of their own and a fake clock. */
export async function presetRig(opts: { folder?: string; bank?: string; log?: Logger; secondsPerBeat?: () => number; hz?: number; quantized?: (run: () => void) => void; clock?: FakeClock } = {}) {
  const folder = opts.folder ?? mkdtempSync(join(tmpdir(), 'sdlive-banks-'));
  const log = opts.log ?? silentLogger;
  const store = new ParameterStore<z.ZodType>(StreamDiffusionParams);
  const fields = new PresetFields(store.schema);
  const library = await PresetLibrary.open(folder, opts.bank ?? 'show', fields, log);
  const clock = opts.clock ?? new FakeClock();
  const morph = new Morph({ store, log, clock, secondsPerBeat: opts.secondsPerBeat, hz: opts.hz });
  const commands = new CommandRegistry();
  const remove = registerPresetCommands(commands, { library, morph, fields, store, quantized: opts.quantized ?? ((run) => run()) });
  const run = (name: string, ...args: unknown[]) => commands.run(`preset/${name}`, args, 'cli');
  const values = () => store.snapshot as Record<string, unknown>;
  const close = () => {
    remove();
    morph.close();
  };
  return { folder, store, fields, library, clock, morph, commands, run, values, close };
}

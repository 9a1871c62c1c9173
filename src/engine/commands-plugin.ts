import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { CommandSpec } from '../control/commands/registry.js';
import type { App, AppPlugin } from '../plugin.js';

/** The largest seed the schema takes (2^31 - 1, what TouchDesigner's integer parameters hold). */
const SEED_LIMIT = 2 ** 31;

function stepCommand({ engine }: App): CommandSpec<[]> {
  return { name: 'step', description: 'While paused: run exactly one frame', types: '', args: z.tuple([]), run: () => engine.step() };
}

/** A new seed in one press: the store refuses it like any other change if the pipeline has no single seed to set. */
function randomSeedCommand({ store }: App): CommandSpec<[]> {
  return {
    name: 'seed/randomize', description: 'Set a new random seed (replaces a seed list)', types: '', args: z.tuple([]),
    run: (_args, origin) => {
      const result = store.update({ seed: randomInt(SEED_LIMIT) }, origin);
      if (!result.ok) throw result.error;
      return { seed: (result.current as { seed: number }).seed };
    },
  };
}

/** The engine's own commands: `step`, and `seed/randomize` where the pipeline has a seed. */
export const engineCommandsPlugin: AppPlugin = {
  name: 'engine-commands',
  async register(app) {
    const hasSeed = app.store.specs.some((s) => s.key === 'seed');
    const removers = [stepCommand(app), ...(hasSeed ? [randomSeedCommand(app)] : [])].map((spec) => app.commands.register(spec));
    return { close: async () => removers.forEach((remove) => remove()) };
  },
};

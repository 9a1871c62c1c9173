import type { AppPlugin } from '../../plugin.js';
import { tempoOf } from '../tempo/plugin.js';
import { registerPresetCommands } from './commands.js';
import { PresetFields } from './fields.js';
import { PresetLibrary } from './library.js';
import { Morph } from './morph.js';

/** Preset banks and morphs: the preset/* commands on every front end. A broken start-up bank stops start-up. */
export const presetsPlugin: AppPlugin = {
  name: 'presets',
  async register(app) {
    const { store, log } = app;
    const fields = new PresetFields(store.schema);
    const { folder, bank } = app.config.presets;
    const library = await PresetLibrary.open(folder, bank ?? app.definition.name, fields, log);
    // The tempo plugin registers after this one: it is looked up when a morph or a recall needs it.
    const bpm = () => tempoOf(app)?.tempo.bpm;
    const morph = new Morph({ store, log, secondsPerBeat: () => (bpm() ? 60 / bpm()! : 0) });
    const quantized = (run: () => void) => {
      const tempo = tempoOf(app);
      if (tempo) tempo.quantized(run);
      else run();
    };
    const remove = registerPresetCommands(app.commands, { library, morph, fields, store, quantized });
    const removeMetrics = app.http.metrics.add(() => [
      { name: 'preset_bank_failures_total', type: 'counter', help: 'Bank files refused at run time (the bank in use stayed).', samples: [[{}, library.failures]] },
      { name: 'preset_morph_refused_total', type: 'counter', help: 'Morph steps the parameter store refused (the morph went on).', samples: [[{}, morph.failures]] },
    ]);
    log.info({ bank: library.name, presets: library.presets.length, file: library.file }, 'preset bank in use');
    return {
      close: async () => {
        remove();
        removeMetrics();
        morph.close();
      },
    };
  },
};

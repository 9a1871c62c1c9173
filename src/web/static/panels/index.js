// @ts-check
// Every panel is a module exporting { id, title, mount(section, ctx) }; a new panel is one line here.
import { enginePanel } from './engine.js';
import { outputsPanel } from './outputs.js';
import { paramsPanel, performPanel } from './params.js';
import { presetsPanel } from './presets.js';
import { previewPanel } from './preview.js';
import { tempoPanel } from './tempo.js';

export const PANELS = [previewPanel, performPanel, presetsPanel, tempoPanel, enginePanel, outputsPanel, paramsPanel];

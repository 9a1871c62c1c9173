// @ts-check
// Every panel is a module exporting { id, title, mount(section, ctx) }; a new panel (presets...) is one line here.
import { enginePanel } from './engine.js';
import { outputsPanel } from './outputs.js';
import { paramsPanel, performPanel } from './params.js';
import { previewPanel } from './preview.js';

export const PANELS = [previewPanel, performPanel, enginePanel, outputsPanel, paramsPanel];

import { z } from 'zod';
import { CONTROLNET_CHOICES, NO_CONTROLNET } from '../../models/controlnet-catalogue.js';
import { param } from '../../schema/param.js';

/**
 * ControlNet slots. A slot's model is a load parameter (adding, removing or swapping one is a background reload);
 * its scale, enabled and source apply on the next frame. Slots of scalars, not one list, so every value is an
 * OSC address, a MIDI-learnable knob and a page control like any other parameter.
 */
export const CONTROLNET_SLOTS = 3;
export const CONTROL_SOURCES = ['control_input', 'canny', 'input'] as const;
export type ControlSource = (typeof CONTROL_SOURCES)[number];

const GROUP = 'ControlNet';
const order = (slot: number, k: number) => 70 + slot + k / 10;

const model = (slot: number) => param(z.string().min(1).max(1000).default(NO_CONTROLNET), {
  label: `ControlNet ${slot}`, group: GROUP, order: order(slot, 0), phase: 'load', remoteChoices: CONTROLNET_CHOICES,
  description: `ControlNet model of slot ${slot} (sdlive models list shows the known ones), or none. Needs a UNet with ControlNet residual inputs.`,
});
const scale = (slot: number) => param(z.number().min(0).max(2).default(1), {
  label: `ControlNet ${slot} scale`, group: GROUP, order: order(slot, 1), phase: 'runtime',
  description: `Conditioning scale of ControlNet ${slot}: how strongly its control image steers the picture (0 = not at all).`,
});
const enabled = (slot: number) => param(z.boolean().default(true), {
  label: `ControlNet ${slot} on`, group: GROUP, order: order(slot, 2), phase: 'runtime',
  description: `ControlNet ${slot} on or off; off costs nothing and needs no reload.`,
});
const source = (slot: number) => param(z.enum(CONTROL_SOURCES).default('control_input'), {
  label: `ControlNet ${slot} image`, group: GROUP, order: order(slot, 3), phase: 'runtime',
  description: `Control image of ControlNet ${slot}: control_input (the second frame source), canny (edges of the main input) or input (the main input as it is).`,
});

export const controlNetFields = {
  controlnet_1: model(1), controlnet_1_scale: scale(1), controlnet_1_enabled: enabled(1), controlnet_1_source: source(1),
  controlnet_2: model(2), controlnet_2_scale: scale(2), controlnet_2_enabled: enabled(2), controlnet_2_source: source(2),
  controlnet_3: model(3), controlnet_3_scale: scale(3), controlnet_3_enabled: enabled(3), controlnet_3_source: source(3),
  canny_low_threshold: param(z.number().min(0).max(1).default(0.1), {
    label: 'Canny low threshold', group: GROUP, order: 79, phase: 'runtime',
    description: 'Edge strength that continues an edge (a sharp black-to-white step is about 0.57, a step of 25% grey about 0.14).',
  }),
  canny_high_threshold: param(z.number().min(0).max(1).default(0.2), {
    label: 'Canny high threshold', group: GROUP, order: 79.1, phase: 'runtime',
    description: 'Edge strength that starts an edge.',
  }),
};

type ControlNetFields = { [K in keyof typeof controlNetFields]: z.output<(typeof controlNetFields)[K]> };
export type ControlNetModelKey = `controlnet_${1 | 2 | 3}`;
export const CONTROLNET_MODEL_KEYS: readonly ControlNetModelKey[] = ['controlnet_1', 'controlnet_2', 'controlnet_3'];

export interface ControlNetSlot {
  model: string;
  scale: number;
  enabled: boolean;
  source: ControlSource;
}

/** The slots' values, slot 1 first. */
export function controlNetSlots(p: Readonly<ControlNetFields>): ControlNetSlot[] {
  return CONTROLNET_MODEL_KEYS.map((key) => ({ model: p[key], scale: p[`${key}_scale`], enabled: p[`${key}_enabled`], source: p[`${key}_source`] }));
}

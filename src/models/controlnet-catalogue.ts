import { join } from 'node:path';
import type { ChoiceSet } from '../schema/param.js';
import { type KnownModel, ModelCatalogue, type ModelSource, modelsDirs, readManifests } from './catalogue.js';
import { cachedParts } from './hub/assemble.js';
import { HubCache } from './hub/cache.js';
import { GENERATED_MODELS_DIR } from './resolve.js';
import { controlNetGraph } from './tiny/controlnet-nets.js';
import { generatedManifest, writeGenerated } from './tiny/make-tiny.js';
import { OPSET, tinyNetIo } from './tiny/nets.js';
import { TINY_VARIANTS } from './tiny/variants.js';

/** The choice set the controlnet_N parameters name: the ControlNets the engine knows, and `none`. */
export const CONTROLNET_CHOICES = 'controlnets';
/** A ControlNet slot's value when it holds none. */
export const NO_CONTROLNET = 'none';

const TINY_CONTROLNETS = {
  'builtin:controlnet-tiny': { scaleInput: true, description: 'tiny test ControlNet for builtin:tiny-controlnet, with a conditioning_scale input' },
  'builtin:controlnet-tiny-noscale': { scaleInput: false, description: 'tiny test ControlNet for builtin:tiny-controlnet, without conditioning_scale (sdlive scales its outputs)' },
} as const;

/** A tiny ControlNet's folder (model.onnx + sdlive.json), generated on first use beside the tiny models. */
export function tinyControlNetDir(name: keyof typeof TINY_CONTROLNETS, root = GENERATED_MODELS_DIR): string {
  const { scaleInput, description } = TINY_CONTROLNETS[name];
  const variant = name.slice('builtin:'.length);
  const io = tinyNetIo(TINY_VARIANTS.controlnet);
  return writeGenerated(join(root, variant), variant, () => new Map<string, Uint8Array | string>([
    ['model.onnx', controlNetGraph(io, { scaleInput }).toBytes(OPSET)],
    ['sdlive.json', generatedManifest(variant, description)],
  ]));
}

export const builtinControlNets: ModelSource = () => (Object.keys(TINY_CONTROLNETS) as (keyof typeof TINY_CONTROLNETS)[]).map((name) => ({
  name, description: TINY_CONTROLNETS[name].description, folder: () => tinyControlNetDir(name), present: () => true,
}));

/** The manifests in `dir` with a `controlnet` part: present once its files are in the Hugging Face cache. */
export function manifestControlNets(dir: string, cache = new HubCache()): ModelSource {
  return () => readManifests(dir).flatMap((m): KnownModel[] => {
    const parts = m.parts?.controlnet ? { controlnet: m.parts.controlnet } : undefined;
    if (!parts) return [];
    const onnx = () => cachedParts(parts, cache)?.get('controlnet')?.files.find((f) => f.endsWith('.onnx'));
    return [{ name: m.name, description: m.title ?? m.source, fetch: `sdlive models fetch ${m.name}`, present: () => onnx() !== undefined, folder: () => onnx()! }];
  });
}

/** The ControlNets the engine knows by name: manifests in models/, then the built-in tiny ones. */
export function controlNetCatalogue(): ModelCatalogue {
  const cache = new HubCache();
  return new ModelCatalogue([...modelsDirs().map((d) => manifestControlNets(d, cache)), builtinControlNets]);
}

/** The choice set over the network: a known, present ControlNet, or `none`. */
export function controlNetChoices(catalogue: ModelCatalogue): ChoiceSet {
  return {
    names: () => [NO_CONTROLNET, ...catalogue.names()],
    refusal: (value) => (value === NO_CONTROLNET ? undefined : catalogue.refusal(value)),
  };
}

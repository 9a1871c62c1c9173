import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ONNX_DTYPE } from '../onnx/model-proto.js';
import { readWeightGraph } from '../onnx/model-reader.js';
import type { LowRankUpdate, WeightDtype } from './delta.js';
import { parseLoraKeys, type LoraModule, type LoraTarget } from './keys.js';
import { readSafetensors } from './safetensors.js';
import { findTarget, weightTargets, type WeightTarget } from './targets.js';

/** A LoRA file to apply and its strength. */
export interface LoraSpec {
  /** What the performer called it (a name in the LoRA folder, or the path the config gave). */
  name: string;
  file: string;
  scale: number;
}

/** What one LoRA did to the model: keys that matched no weight are counted and the first few named. */
export interface LoraReport {
  lora: string;
  keys: number;
  /** Layers changed. */
  applied: number;
  unmatched: number;
  firstUnmatched: string[];
}

/** One weight to rewrite: where its bytes are (relative to the model folder) and what to add to it. */
export interface WeightPatch {
  /** The model file (copied into the fused folder, so its external data is looked up there). */
  model: string;
  /** The file holding the bytes: the model itself, or its external data. */
  file: string;
  offset: number;
  length: number;
  dtype: WeightDtype;
  target: WeightTarget;
  /** [rows, cols] as stored. */
  dims: [number, number];
  updates: LowRankUpdate[];
}

type ModelKey = Exclude<LoraTarget, 'any'>;
interface ModelWeights {
  file: string;
  targets: Map<string, WeightTarget | null>;
}

const FIRST_UNMATCHED = 5;
const DTYPES: Record<number, WeightDtype> = { [ONNX_DTYPE.float32]: 'float32', [ONNX_DTYPE.float16]: 'float16' };
const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** The patchable models of a folder (relative paths) and their weighted layers by module path. */
export function readModelWeights(dir: string, files: Partial<Record<ModelKey, string>>): Partial<Record<ModelKey, ModelWeights>> {
  const out: Partial<Record<ModelKey, ModelWeights>> = {};
  for (const [key, file] of Object.entries(files) as [ModelKey, string][]) {
    out[key] = { file, targets: weightTargets(readWeightGraph(readFileSync(join(dir, file)))) };
  }
  return out;
}

/** W as [out, in] against how it is stored. */
function storedShape(t: WeightTarget): { out: number; inputs: number; dims: [number, number] } | undefined {
  const d = t.initializer.dims;
  if (t.layout === 'in_out') return d.length === 2 ? { out: d[1]!, inputs: d[0]!, dims: [d[0]!, d[1]!] } : undefined;
  const inputs = product(d.slice(1));
  return { out: d[0]!, inputs, dims: [d[0]!, inputs] };
}

function lowRankUpdate(m: LoraModule, t: WeightTarget, scale: number): { update: LowRankUpdate; dims: [number, number] } | string {
  const { down, up } = m;
  if (!down || !up) return `no ${down ? 'up' : 'down'} weight`;
  const rank = down.shape[0] ?? 0;
  const shape = storedShape(t);
  if (!shape) return `weight ${t.initializer.name} [${t.initializer.dims}] is not a matrix`;
  if (rank === 0 || up.data.length !== (up.shape[0] ?? 0) * rank || up.shape[0] !== shape.out || down.data.length !== rank * shape.inputs) {
    return `shape: up [${up.shape}] x down [${down.shape}] does not fit ${t.initializer.name} [${t.initializer.dims}]`;
  }
  return { update: { up: up.data, down: down.data, rank, factor: (scale * (m.alpha ?? rank)) / rank }, dims: shape.dims };
}

function whereStored(model: ModelWeights, t: WeightTarget): Pick<WeightPatch, 'model' | 'file' | 'offset' | 'length' | 'dtype'> | string {
  const dtype = DTYPES[t.initializer.dataType];
  const bytes = t.initializer.bytes;
  if (!dtype) return `${t.initializer.name} is of ONNX type ${t.initializer.dataType} (float32 and float16 are fused)`;
  if (!bytes) return `${t.initializer.name} keeps its values in a form that cannot be rewritten in place`;
  // External data may leave its length out (it is optional in onnx.proto): the dims say it.
  const length = product(t.initializer.dims) * (dtype === 'float32' ? 4 : 2);
  if (bytes.length !== length && !(bytes.file !== undefined && bytes.length === 0)) return `${t.initializer.name} holds ${bytes.length} bytes, not the ${length} of its dims`;
  const file = bytes.file === undefined ? model.file : join(dirname(model.file), bytes.file);
  return { model: model.file, file, offset: bytes.offset, length, dtype };
}

/** The models a module may patch: its own, or (PEFT keys name none) the first that has its path. */
function candidates(target: LoraTarget): ModelKey[] {
  return target === 'any' ? ['unet', 'text', 'text2'] : [target];
}

function locate(m: LoraModule, models: Partial<Record<ModelKey, ModelWeights>>): { model: ModelWeights; target: WeightTarget } | string {
  let reason = `no ${m.target === 'text2' ? 'second text encoder' : m.target === 'any' ? 'model' : m.target} in this folder`;
  for (const key of candidates(m.target)) {
    const model = models[key];
    if (!model) continue;
    const target = findTarget(model.targets, m.module) ?? (m.alias === undefined ? undefined : findTarget(model.targets, m.alias));
    if (target) return { model, target };
    reason = target === null ? `${m.module} names several layers of ${model.file}` : `no layer ${m.module} in ${model.file}`;
  }
  return reason;
}

type ResolvedPatch = Omit<WeightPatch, 'updates'> & { update: LowRankUpdate };

function resolvePatch(m: LoraModule, models: Partial<Record<ModelKey, ModelWeights>>, scale: number): ResolvedPatch | string {
  const found = locate(m, models);
  if (typeof found === 'string') return found;
  const update = lowRankUpdate(m, found.target, scale);
  if (typeof update === 'string') return update;
  const stored = whereStored(found.model, found.target);
  if (typeof stored === 'string') return stored;
  return { ...stored, target: found.target, dims: update.dims, update: update.update };
}

/**
 * Adds each LoRA's updates to the patches (one per weight, updates in LoRA order) and says what matched: every key
 * that changes nothing is counted, none is dropped silently.
 */
export function planLoras(loras: readonly LoraSpec[], models: Partial<Record<ModelKey, ModelWeights>>): { patches: WeightPatch[]; reports: LoraReport[] } {
  const patches = new Map<string, WeightPatch>();
  const reports = loras.map((lora): LoraReport => {
    const tensors = readSafetensors(lora.file);
    const { modules, unparsed } = parseLoraKeys(tensors);
    const unmatched = unparsed.map((key) => `${key} (not a LoRA key sdlive reads)`);
    let applied = 0;
    for (const m of modules) {
      const resolved = resolvePatch(m, models, lora.scale);
      if (typeof resolved === 'string') {
        unmatched.push(...m.keys.map((key) => `${key} (${resolved})`));
        continue;
      }
      const { update, ...where } = resolved;
      const id = `${where.file}@${where.offset}`;
      const patch = patches.get(id) ?? { ...where, updates: [] };
      patch.updates.push(update);
      patches.set(id, patch);
      applied++;
    }
    return { lora: lora.name, keys: tensors.size, applied, unmatched: unmatched.length, firstUnmatched: unmatched.slice(0, FIRST_UNMATCHED) };
  });
  return { patches: [...patches.values()], reports };
}

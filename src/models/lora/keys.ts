import type { SafeTensor } from './safetensors.js';
import { sgmToDiffusers } from './sgm-names.js';

/** Which model a LoRA module patches: the UNet, the (first) text encoder, SDXL's second; `any` for PEFT keys. */
export type LoraTarget = 'unet' | 'text' | 'text2' | 'any';

/** One adapted layer: W' = W + scale * (alpha / rank) * up @ down. */
export interface LoraModule {
  target: LoraTarget;
  /** The torch module path with every . and / as _, as Kohya writes it (down_blocks_0_attentions_0_..._to_q). */
  module: string;
  /** The path as the file wrote it, when `module` was mapped from it (Kohya's SGM names): an SGM-named export has it. */
  alias?: string;
  down?: SafeTensor;
  up?: SafeTensor;
  alpha?: number;
  /** The file's keys for this module, for reports. */
  keys: string[];
}

type Part = 'down' | 'up' | 'alpha';

const KOHYA = /^lora_(unet|te1|te2|te)_(.+?)\.(lora_down\.weight|lora_up\.weight|alpha)$/;
const DIFFUSERS = /^(unet|text_encoder|text_encoder_2)\.(.+?)\.(lora_A\.weight|lora_B\.weight|lora\.down\.weight|lora\.up\.weight|lora_down\.weight|lora_up\.weight|alpha)$/;
const PEFT = /^base_model\.model\.(.+?)\.(lora_A|lora_B)(?:\.default)?\.weight$/;
/** diffusers' old attention-processor files: attn1.processor.to_q_lora.down.weight is attn1.to_q. */
const PROCESSOR = /\.processor\.(to_q|to_k|to_v|to_out)_lora$/;

const TARGETS: Record<string, LoraTarget> = { unet: 'unet', te: 'text', te1: 'text', te2: 'text2', text_encoder: 'text', text_encoder_2: 'text2' };

function partOf(suffix: string): Part {
  if (suffix === 'alpha') return 'alpha';
  return /lora_A|down/.test(suffix) ? 'down' : 'up';
}

/** A module path in the form every naming scheme is compared in. */
export function normalizeModule(path: string): string {
  return path.replace(/^\/+/, '').replace(/[./]/g, '_');
}

type ParsedKey = Pick<LoraModule, 'target' | 'module' | 'alias'> & { part: Part };

function parseKey(key: string): ParsedKey | undefined {
  const kohya = KOHYA.exec(key);
  if (kohya) {
    const [target, written] = [TARGETS[kohya[1]!]!, kohya[2]!];
    const diffusers = target === 'unet' ? sgmToDiffusers(written) : undefined;
    return { target, module: diffusers ?? written, ...(diffusers ? { alias: written } : {}), part: partOf(kohya[3]!) };
  }
  const diffusers = DIFFUSERS.exec(key);
  if (diffusers) {
    const module = diffusers[2]!.replace(PROCESSOR, (_, proj: string) => `.${proj === 'to_out' ? 'to_out.0' : proj}`);
    return { target: TARGETS[diffusers[1]!]!, module: normalizeModule(module), part: partOf(diffusers[3]!) };
  }
  const peft = PEFT.exec(key);
  if (peft) return { target: 'any', module: normalizeModule(peft[1]!), part: partOf(peft[2]!) };
  return undefined;
}

/** A LoRA file's tensors grouped by module; keys of no known scheme (LoHa, LoKr, DoRA scales...) are `unparsed`. */
export function parseLoraKeys(tensors: ReadonlyMap<string, SafeTensor>): { modules: LoraModule[]; unparsed: string[] } {
  const modules = new Map<string, LoraModule>();
  const unparsed: string[] = [];
  for (const [key, tensor] of tensors) {
    const parsed = parseKey(key);
    if (!parsed) {
      unparsed.push(key);
      continue;
    }
    const id = `${parsed.target}:${parsed.module}`;
    const { part, ...names } = parsed;
    const m = modules.get(id) ?? { ...names, keys: [] };
    m.keys.push(key);
    if (part === 'alpha') m.alpha = tensor.data[0];
    else m[part] = tensor;
    modules.set(id, m);
  }
  return { modules: [...modules.values()], unparsed };
}

import { readFileSync, statSync } from 'node:fs';
import { readGraph, type GraphSummary } from './onnx/model-reader.js';
import type { ModelDialect } from './sd-models.js';

/**
 * What a VAE decoder's graph says when no config.json or sdlive.json does:
 * - the full SD VAE (AutoencoderKL) has attention and group norms: latents scaled by 0.18215, images in [-1,1];
 * - diffusers' AutoencoderTiny wrapper (julienkay/taesd) ends with x*2-1: scaling 1, [-1,1];
 * - taesd.py's raw Decoder ends with its last Conv: scaling 1, images in [0,1].
 */
export type VaeKind = 'autoencoder-kl' | 'autoencoder-tiny' | 'taesd-raw';

const FULL_VAE_OPS = new Set(['Softmax', 'MultiHeadAttention', 'Attention', 'InstanceNormalization', 'GroupNormalization', 'GroupNorm']);
const PASS_THROUGH = new Set(['Identity', 'Cast']);
/** Larger decoders keep their weights outside or are full VAEs anyway: not worth reading whole. */
const MAX_SCANNED_BYTES = 512 * 1024 * 1024;

export const VAE_KIND_DEFAULTS: Record<VaeKind, { scaling: number; range: ModelDialect['vaeRange'] }> = {
  'autoencoder-kl': { scaling: 0.18215, range: 'minus_one_one' },
  'autoencoder-tiny': { scaling: 1, range: 'minus_one_one' },
  'taesd-raw': { scaling: 1, range: 'zero_one' },
};

/** The decoder's kind from its graph; undefined for a file too large to scan or not parseable (onnxruntime then says why). */
export function vaeDecoderKind(file: string): VaeKind | undefined {
  if (statSync(file).size > MAX_SCANNED_BYTES) return undefined;
  let graph: GraphSummary;
  try {
    graph = readGraph(readFileSync(file));
  } catch {
    return undefined;
  }
  if (graph.nodes.some((n) => FULL_VAE_OPS.has(n.opType))) return 'autoencoder-kl';
  const producers = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  let last = producers.get(graph.outputs[0] ?? '');
  while (last && PASS_THROUGH.has(last.opType)) last = producers.get(last.inputs[0] ?? '');
  return last?.opType === 'Conv' ? 'taesd-raw' : 'autoencoder-tiny';
}

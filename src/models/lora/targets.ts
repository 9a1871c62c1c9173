import type { InitializerSummary, NodeSummary, WeightGraph } from '../onnx/model-reader.js';
import { normalizeModule } from './keys.js';

/**
 * How a layer's weight W [out, in] is stored: `out_in` as W (Gemm transB=1, Conv [out, in, kh, kw], a MatMul
 * fed through a Transpose), `in_out` as W^T (the plain MatMul torch.onnx.export writes for a Linear).
 */
export type WeightLayout = 'out_in' | 'in_out';

export interface WeightTarget {
  initializer: InitializerSummary;
  layout: WeightLayout;
}

const WEIGHT_OPS = new Set(['MatMul', 'Gemm', 'Conv']);

/** /down_blocks.0/attentions.0/.../to_q/MatMul -> down_blocks_0_attentions_0_..._to_q; undefined without a module path. */
function moduleOf(nodeName: string): string | undefined {
  const segments = nodeName.replace(/^\/+/, '').split('/');
  return segments.length < 2 ? undefined : normalizeModule(segments.slice(0, -1).join('/'));
}

function weightOf(node: NodeSummary, initializers: ReadonlyMap<string, InitializerSummary>, producers: ReadonlyMap<string, NodeSummary>): WeightTarget | undefined {
  const input = node.inputs[1];
  if (input === undefined) return undefined;
  const stored: WeightLayout = node.opType === 'MatMul' || (node.opType === 'Gemm' && !node.ints.transB) ? 'in_out' : 'out_in';
  const direct = initializers.get(input);
  if (direct) return { initializer: direct, layout: stored };
  const producer = producers.get(input);
  const transposed = producer?.opType === 'Transpose' ? initializers.get(producer.inputs[0] ?? '') : undefined;
  if (!transposed || transposed.dims.length !== 2 || node.opType === 'Conv') return undefined;
  return { initializer: transposed, layout: stored === 'in_out' ? 'out_in' : 'in_out' };
}

/**
 * Every weighted layer of a graph by its module path (normalized), found through the node names real exports
 * keep (initializer names like onnx::MatMul_1234 say nothing). A module with two weighted nodes is ambiguous: null.
 */
export function weightTargets(graph: WeightGraph): Map<string, WeightTarget | null> {
  const initializers = new Map(graph.initializers.map((t) => [t.name, t]));
  const producers = new Map(graph.nodes.flatMap((n) => n.outputs.map((o): [string, NodeSummary] => [o, n])));
  const targets = new Map<string, WeightTarget | null>();
  for (const node of graph.nodes) {
    const module = WEIGHT_OPS.has(node.opType) ? moduleOf(node.name) : undefined;
    const weight = module === undefined ? undefined : weightOf(node, initializers, producers);
    if (!module || !weight) continue;
    targets.set(module, targets.has(module) ? null : weight);
  }
  return targets;
}

/** The target of a LoRA module: the same path, or the one path ending in it (exports wrapped in an outer module). */
export function findTarget(targets: ReadonlyMap<string, WeightTarget | null>, module: string): WeightTarget | null | undefined {
  if (targets.has(module)) return targets.get(module);
  const suffix = `_${module}`;
  const matches = [...targets.keys()].filter((k) => k.endsWith(suffix));
  return matches.length === 1 ? targets.get(matches[0]!) : matches.length > 1 ? null : undefined;
}

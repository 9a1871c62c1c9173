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

/** Nodes a weight may pass through on its way to its layer: a Transpose (no constant folding), a Cast (an fp16 weight in an fp32 graph). */
const PASS_THROUGH = new Set(['Transpose', 'Cast', 'Identity']);
const MAX_HOPS = 3;
const flip = (l: WeightLayout): WeightLayout => (l === 'in_out' ? 'out_in' : 'in_out');

function weightOf(node: NodeSummary, initializers: ReadonlyMap<string, InitializerSummary>, producers: ReadonlyMap<string, NodeSummary>): WeightTarget | undefined {
  let layout: WeightLayout = node.opType === 'MatMul' || (node.opType === 'Gemm' && !node.ints.transB) ? 'in_out' : 'out_in';
  let transposed = false;
  let value = node.inputs[1];
  for (let hop = 0; value !== undefined && hop <= MAX_HOPS; hop++) {
    const initializer = initializers.get(value);
    if (initializer) return transposed && (initializer.dims.length !== 2 || node.opType === 'Conv') ? undefined : { initializer, layout };
    const producer = producers.get(value);
    if (!producer || !PASS_THROUGH.has(producer.opType)) return undefined;
    if (producer.opType === 'Transpose') [layout, transposed] = [flip(layout), !transposed];
    value = producer.inputs[0];
  }
  return undefined;
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

import { SdliveError } from '../errors.js';
import type { ExecutionProvider } from '../pipelines/streamdiffusion/schema.js';

/**
 * onnxruntime's fused (com.microsoft) ops that exporters optimise SD UNets with, and the providers that have
 * kernels for them: none runs on the CPU, so such an export is refused there with the op's name.
 */
const FUSED_OP_PROVIDERS: Record<string, readonly ExecutionProvider[]> = {
  GroupNorm: ['cuda', 'dml'],
  SkipGroupNorm: ['cuda'],
  NhwcConv: ['cuda'],
  BiasSplitGelu: ['cuda', 'dml'],
  BiasAdd: ['cuda', 'dml'],
};

const MISSING_KERNEL = /Could not find an implementation for (\w+)\(\d+\)|Failed to find kernel for (?:[\w.]+\.)?(\w+)/;
const MISSING_EXTERNAL = /External data path does not exist: "?([^"\n]+)"?/;

/**
 * Why `file` (relative to the model folder) could not be loaded with `provider`, in words a show technician can
 * act on: a fused op the provider has no kernel for names the op and the provider it needs; a missing external
 * weights file names that file; anything else keeps onnxruntime's first line.
 */
export function modelFileFailure(file: string, provider: ExecutionProvider, reason: string, others: string): SdliveError {
  const kernel = MISSING_KERNEL.exec(reason);
  const op = kernel?.[1] ?? kernel?.[2];
  if (op) {
    const runsOn = FUSED_OP_PROVIDERS[op] ? `it runs on ${FUSED_OP_PROVIDERS[op].join(' or ')}` : 'an export optimised for another provider';
    const what = `${file} uses onnxruntime's fused op ${op}, which has no ${provider} kernel (${runsOn}): the onnxruntime/* exports are for the CUDA provider only, Olive DirectML exports for dml`;
    return new SdliveError('SDL_ERR_MODEL_DIALECT', `${what}; set execution_providers to one of them on a machine that has it, or use an export without fused ops${others}`, 'model');
  }
  const external = MISSING_EXTERNAL.exec(reason);
  if (external) {
    return new SdliveError('SDL_ERR_MODEL_LOAD', `${file} keeps its weights in ${external[1]}, which is missing: keep the .onnx and its weights file side by side under their original names${others}`, 'model');
  }
  return new SdliveError('SDL_ERR_MODEL_LOAD', `cannot load ${file} with ${provider}: ${reason} (re-export or re-download the file${others})`, 'model');
}

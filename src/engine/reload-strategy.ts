/**
 * How a reload makes room for the new model. parallel: the new one loads beside the running one (no gap in
 * diffusion frames, twice the memory for the time of the load). unload_first: the running one is released
 * first and the last frame is held meanwhile. auto: unload_first when memory is known to be short.
 */
export const RELOAD_STRATEGIES = ['auto', 'parallel', 'unload_first'] as const;
export type ReloadStrategy = (typeof RELOAD_STRATEGIES)[number];

export interface MemoryFacts {
  /** Provider of the running model. */
  provider: string | undefined;
  /** What the running model's load added to this process's resident memory. */
  modelBytes: number | undefined;
  freeBytes: number;
}

/** A quarter over the model's own size, for what a load allocates on the way (graph optimisation, arenas). */
const LOAD_HEADROOM = 1.25;

export function unloadsFirst(strategy: ReloadStrategy | undefined, facts: MemoryFacts): boolean {
  if (strategy === 'unload_first') return true;
  if (strategy !== 'auto') return false;
  // Only host memory is known: onnxruntime-node tells nothing about a GPU's free memory.
  if (facts.provider !== 'cpu' || !facts.modelBytes) return false;
  return facts.freeBytes < facts.modelBytes * LOAD_HEADROOM;
}

import { parseSpec } from '../io/registry.js';
import { flagOption, parseTarget } from '../io/spec-target.js';

/** The shm transport's spec options (src/io/shm/transport.ts): needed to split them off the name. */
const SHM_OPTIONS = ['raw', 'width', 'height', 'slots'];

/** The shared-memory name of a `shm:NAME?raw=1` spec (headerless RGB, what StreamDiffusionTD's component uses), else undefined. */
export function rawShmName(spec: string, direction: 'input' | 'output'): string | undefined {
  let parsed;
  try {
    parsed = parseSpec(spec, direction);
  } catch {
    return undefined;
  }
  if (parsed.transport.scheme !== 'shm') return undefined;
  const target = parseTarget(parsed.target, SHM_OPTIONS);
  return flagOption(target, 'raw') ? target.path : undefined;
}

/** Where StreamDiffusionTD's frames go: the first raw shm output, which is what /stream-info/output-name must name. */
export function firstRawShmOutput(outputs: readonly string[]): string | undefined {
  return outputs.map((o) => rawShmName(o, 'output')).find((name) => name !== undefined);
}

import { parseSpec } from '../../io/registry.js';
import { SHM_OPTION_KEYS } from '../../io/shm/transport.js';
import { flagOption, parseTarget } from '../../io/spec-target.js';

/** The shared-memory name of a `shm:NAME?raw=1` spec (headerless RGB, what StreamDiffusionTD's component uses), else undefined. */
export function rawShmName(spec: string, direction: 'input' | 'output'): string | undefined {
  let parsed;
  try {
    parsed = parseSpec(spec, direction);
  } catch {
    return undefined;
  }
  if (parsed.transport.scheme !== 'shm') return undefined;
  const target = parseTarget(parsed.target, SHM_OPTION_KEYS);
  return flagOption(target, 'raw') ? target.path : undefined;
}

/** Where StreamDiffusionTD's frames go: the first raw shm output, which is what /stream-info/output-name must name. */
export function firstRawShmOutput(outputs: readonly string[]): string | undefined {
  return outputs.map((o) => rawShmName(o, 'output')).find((name) => name !== undefined);
}

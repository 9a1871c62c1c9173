// How each parameter kind travels as OSC arguments (the control surface's addresses, /sdlive/<key>).
const ROW_FIELDS = { prompt: ['text', 'weight'], seed: ['seed', 'weight'] };

const WEIGHTED = new Set(['prompt', 'seed']);

/** The address a parameter is set and followed on: weighted lists (prompt, seed) travel as JSON on <key>/json. */
export const addressOf = (spec) => (WEIGHTED.has(spec.kind) ? `${spec.key}/json` : spec.key);

/** A value -> OSC args for addressOf(spec). */
export function toArgs(spec, value) {
  switch (spec.kind) {
    case 'number': return [{ type: 'f', value }];
    case 'integer': return [{ type: 'i', value }];
    case 'boolean': return [{ type: value ? 'T' : 'F' }];
    case 'int_list': return value.map((v) => ({ type: 'i', value: v }));
    case 'enum_list': return value.map((v) => ({ type: 's', value: v }));
    case 'prompt':
    case 'seed':
      return [{ type: 's', value: JSON.stringify(Array.isArray(value) ? value.map((row) => ROW_FIELDS[spec.kind].map((f) => row[f])) : value) }];
    default: return [{ type: 's', value: String(value) }];
  }
}

/** OSC args as OSCQuery pushes them -> the parameter value. */
export function fromArgs(spec, args) {
  if (spec.kind === 'int_list' || spec.kind === 'enum_list') return args;
  const [a] = args;
  if (WEIGHTED.has(spec.kind) && typeof a === 'string') {
    try {
      const value = JSON.parse(a);
      return Array.isArray(value) ? value.map((r) => Object.fromEntries(ROW_FIELDS[spec.kind].map((f, i) => [f, r[i]]))) : value;
    } catch {
      return a;
    }
  }
  return a;
}

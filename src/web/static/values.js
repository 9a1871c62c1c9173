// How each parameter kind travels as OSC arguments (the control surface's addresses, /sdlive/<key>).
const ROW_FIELDS = { prompt: ['text', 'weight'], seed: ['seed', 'weight'] };

/** A value -> OSC args for the whole-parameter address. Weighted lists go as a JSON list of rows. */
export function toArgs(spec, value) {
  switch (spec.kind) {
    case 'number': return [{ type: 'f', value }];
    case 'integer': return [{ type: 'i', value }];
    case 'boolean': return [{ type: value ? 'T' : 'F' }];
    case 'int_list': return value.map((v) => ({ type: 'i', value: v }));
    case 'enum_list': return value.map((v) => ({ type: 's', value: v }));
    case 'prompt':
    case 'seed':
      if (!Array.isArray(value)) return [{ type: spec.kind === 'seed' ? 'i' : 's', value }];
      return [{ type: 's', value: JSON.stringify(value.map((row) => ROW_FIELDS[spec.kind].map((f) => row[f]))) }];
    default: return [{ type: 's', value: String(value) }];
  }
}

/** OSC args as OSCQuery pushes them -> the parameter value. */
export function fromArgs(spec, args) {
  if (spec.kind === 'int_list' || spec.kind === 'enum_list') return args;
  const [a] = args;
  if ((spec.kind === 'prompt' || spec.kind === 'seed') && typeof a === 'string' && a.trim().startsWith('[')) {
    try {
      const rows = JSON.parse(a);
      return rows.map((r) => Object.fromEntries(ROW_FIELDS[spec.kind].map((f, i) => [f, r[i]])));
    } catch {
      return a;
    }
  }
  return a;
}

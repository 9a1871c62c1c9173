// @ts-check
/** How parameter values travel as OSC arguments (the control surface's addresses, /sdlive/<key>). */

/** @typedef {import('./types').PageSpec} PageSpec */
/** @typedef {import('./types').EntryField} EntryField */
/** @typedef {{ type: 'i' | 'f' | 's' | 'T' | 'F', value?: unknown }} OscArg */

const WEIGHT = { name: 'weight', type: 'number', min: 0, max: 10, default: 1 };
/** The entry fields of the weighted lists, for a schema whose ParamSpec does not list them yet (`entry.fields`). */
const ROW_FIELDS = /** @type {Record<string, EntryField[]>} */ ({
  prompt: [{ name: 'text', type: 'string' }, WEIGHT],
  seed: [{ name: 'seed', type: 'integer', min: 0, max: 2 ** 31 - 1 }, WEIGHT],
});

/** The schema's words or OSC type tags for a field's type -> the page's. */
const TYPES = /** @type {Record<string, string>} */ ({ s: 'string', string: 'string', i: 'integer', integer: 'integer', f: 'number', number: 'number' });

/** One entry field as the schema gives it (a name, or an object with name, type, min, max, default). @param {PageSpec} spec @param {unknown} f @returns {EntryField} */
function entryField(spec, f) {
  // ParamSpec's entry fields say `key` and `kind`; the page's own table says `name` and `type`.
  const given = /** @type {Partial<EntryField> & { key?: string, kind?: string }} */ (typeof f === 'string' ? { name: f } : f && typeof f === 'object' ? f : {});
  const name = String(given.name ?? given.key ?? '');
  const known = ROW_FIELDS[spec.kind]?.find((r) => r.name === name);
  const { key: _key, kind, ...rest } = given;
  return { ...known, ...rest, name, type: TYPES[given.type ?? kind ?? ''] ?? known?.type ?? 'string' };
}

/**
 * The fields of one list entry, main field (text, seed) first, from `spec.entry.fields` when the schema lists
 * them, else from ROW_FIELDS; undefined for a parameter that is not a weighted list.
 * @param {PageSpec} spec @returns {EntryField[] | undefined}
 */
export function entryFields(spec) {
  const fields = spec.entry?.fields;
  return Array.isArray(fields) && fields.length ? fields.map((f) => entryField(spec, f)) : ROW_FIELDS[spec.kind];
}

/** A value -> OSC args for the whole-parameter address (weighted lists do not go through here: see Channel.set). @param {PageSpec} spec @param {unknown} value @returns {OscArg[]} */
export function toArgs(spec, value) {
  switch (spec.kind) {
    case 'number': return [{ type: 'f', value }];
    case 'integer': return [{ type: 'i', value }];
    case 'boolean': return [{ type: value ? 'T' : 'F' }];
    case 'int_list': return /** @type {number[]} */ (value).map((v) => ({ type: 'i', value: v }));
    case 'enum_list': return /** @type {string[]} */ (value).map((v) => ({ type: 's', value: v }));
    case 'json': return [{ type: 's', value: JSON.stringify(value) }];
    default: return [{ type: 's', value: String(value) }];
  }
}

/** OSC args as OSCQuery pushes them -> the parameter value (not for weighted lists). @param {PageSpec} spec @param {unknown[]} args */
export function fromArgs(spec, args) {
  if (spec.kind === 'json') return JSON.parse(String(args[0]));
  return spec.kind === 'int_list' || spec.kind === 'enum_list' ? args : args[0];
}

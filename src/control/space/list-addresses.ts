import type { EntryField, EntrySpec, ParamSpec } from '../../schema/param-spec.js';
import { linearView, type ControlAddress, type Params, type Patch } from './address.js';
import { asNumber, asString, ControlError, fitNumber, type OscArg } from './values.js';

interface Field extends EntryField {
  /** Name in the address: the field named like its parameter is called `value` (/sdlive/seeds/0/value). */
  address: string;
  type: 'f' | 'i' | 's';
}

type Entry = Record<string, unknown>;

const oscType = (f: EntryField): Field['type'] => (f.kind === 'string' ? 's' : f.kind === 'integer' ? 'i' : 'f');

function coerce(field: Field, a: OscArg | undefined): string | number {
  if (field.type === 's') return asString(a);
  return fitNumber(asNumber(a), { min: field.min, max: field.max, step: field.type === 'i' ? (field.step ?? 1) : undefined });
}

/** The parts every address of one weighted-list parameter shares. */
interface ListContext {
  root: string;
  spec: ParamSpec;
  fields: Field[];
  main: Field;
  defaults: Entry;
  /** `prompts` for `prompt`: the list addresses' folder. */
  listName: string;
  entries(p: Params): Entry[];
  entryFrom(row: unknown): Entry;
}

function listContext(root: string, spec: ParamSpec, entry: EntrySpec): ListContext {
  const fields: Field[] = entry.fields.map((f) => ({ ...f, address: f.key === spec.key ? 'value' : f.key, type: oscType(f) }));
  const main = fields.find((f) => f.key === entry.main)!;
  const defaults = Object.fromEntries(fields.filter((f) => f.default !== undefined).map((f) => [f.key, f.default]));
  return {
    root, spec, fields, main, defaults, listName: `${spec.key}s`,
    entries: (p) => {
      const v = p[spec.key];
      return Array.isArray(v) ? (v as Entry[]) : [{ ...defaults, [main.key]: v }];
    },
    entryFrom: (row) => {
      if (Array.isArray(row)) return { ...defaults, ...Object.fromEntries(row.map((v, i) => [fields[i]?.key ?? String(i), coerce(fields[i] ?? main, v as OscArg)])) };
      if (row && typeof row === 'object') return row as Entry;
      throw new ControlError('bad_type', `a ${spec.key} list entry must be [${fields.map((f) => f.key).join(', ')}]`);
    },
  };
}

/** `/sdlive/prompt`: one argument is the single value (a string is always prompt text), more are field groups. */
function wholeAddress(c: ListContext): ControlAddress {
  const { spec, fields, main } = c;
  const write = (_: Params, args: readonly OscArg[]): Patch => {
    if (args.length === 1) return { [spec.key]: coerce(main, args[0]) };
    if (args.length === 0 || args.length % fields.length !== 0) {
      throw new ControlError('bad_type', `expected one ${main.key}, or ${fields.map((f) => f.key).join(', ')} groups (a JSON list goes to ${c.root}/${spec.key}/json)`);
    }
    const rows = Array.from({ length: args.length / fields.length }, (_, i) => args.slice(i * fields.length, (i + 1) * fields.length));
    return { [spec.key]: rows.map(c.entryFrom) };
  };
  return {
    path: `${c.root}/${spec.key}`, target: spec.key, spec, description: spec.description, unit: spec.unit,
    type: main.type, min: spec.min, max: spec.max, numeric: false, readable: true,
    // A list has no single value of this type (one OSC type per address): it reads on the /json address.
    read: (p) => (Array.isArray(p[spec.key]) ? [] : [p[spec.key] as string | number]),
    write,
  };
}

/** `/sdlive/prompt/json`: the whole value as JSON, a single value (`"a cat"`, `42`) or a list (`[["a", 0.5], ["b", 0.5]]`). */
function jsonAddress(c: ListContext): ControlAddress {
  const { spec, fields, main } = c;
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new ControlError('bad_type', `${spec.key} JSON is not valid JSON`);
    }
  };
  return {
    path: `${c.root}/${spec.key}/json`, target: `${spec.key}/json`, spec,
    description: `${spec.label} as JSON: a single ${main.key}, or a list of [${fields.map((f) => f.key).join(', ')}]`, type: 's', numeric: false, readable: true,
    read: (p) => {
      const v = p[spec.key];
      return [JSON.stringify(Array.isArray(v) ? (v as Entry[]).map((e) => fields.map((f) => e[f.key])) : v)];
    },
    write: (_, args) => {
      const value = parse(asString(args[0]));
      return { [spec.key]: Array.isArray(value) ? value.map(c.entryFrom) : coerce(main, value as OscArg) };
    },
  };
}

/** `/sdlive/prompts/<i>/<field>`: one field of one entry; an entry is added by its main field (text, value). */
function fieldAddress(c: ListContext, i: number, field: Field): ControlAddress {
  const { spec, main, defaults } = c;
  const mainPath = (n: number) => `${c.root}/${c.listName}/${n}/${main.address}`;
  const set = (p: Params, value: string | number): Patch => {
    const list = c.entries(p).map((e) => ({ ...e }));
    if (i > list.length) throw new ControlError('out_of_range', `no ${spec.key} list entry ${i} (it has ${list.length}; set ${mainPath(list.length)} first)`);
    if (i === list.length && field !== main && defaults[main.key] === undefined) {
      throw new ControlError('out_of_range', `no ${spec.key} list entry ${i} (set ${mainPath(i)} first)`);
    }
    list[i] = { ...defaults, ...list[i], [field.key]: value };
    return { [spec.key]: list };
  };
  const get = (p: Params) => c.entries(p)[i]?.[field.key] as string | number | undefined;
  const [lo, hi] = [field.norm?.min ?? field.min, field.norm?.max ?? field.max];
  return {
    path: `${c.root}/${c.listName}/${i}/${field.address}`, target: `${c.listName}/${i}/${field.address}`, spec,
    description: `${field.key} of ${spec.key} list entry ${i}`, type: field.type, min: field.min, max: field.max,
    numeric: field.type !== 's', readable: true,
    read: (p) => (get(p) === undefined ? [] : [get(p)!]),
    write: (p, args) => set(p, coerce(field, args[0])),
    unitView: field.type === 'f' && lo !== undefined && hi !== undefined
      ? linearView(lo, hi, (p) => (get(p) as number | undefined) ?? lo, (p, v) => set(p, coerce(field, v)))
      : undefined,
  };
}

/** `/sdlive/prompts/select i`: entry i at full weight, the others silent (program change, buttons). */
function selectAddress(c: ListContext, weight: Field): ControlAddress {
  const { spec, listName } = c;
  return {
    path: `${c.root}/${listName}/select`, target: `${listName}/select`, spec,
    description: `Bring ${spec.key} list entry N to full weight and silence the others`, type: 'i', min: 0, max: (spec.maxItems ?? 1) - 1,
    numeric: false, readable: true,
    read: (p) => {
      const ws = c.entries(p).map((e) => Number(e[weight.key] ?? 0));
      return [ws.indexOf(Math.max(...ws))];
    },
    write: (p, args) => {
      const list = c.entries(p);
      const i = asNumber(args[0]);
      if (!Number.isInteger(i) || i < 0 || i >= list.length) throw new ControlError('out_of_range', `${listName} has no entry ${i} (it has ${list.length})`);
      return { [spec.key]: list.map((e, j) => ({ ...e, [weight.key]: j === i ? 1 : 0 })) };
    },
  };
}

/** The addresses of one "scalar or weighted list" parameter (spec.entry): whole, JSON, per entry field, select. */
export function listAddresses(root: string, spec: ParamSpec): ControlAddress[] {
  if (!spec.entry) return [];
  const c = listContext(root, spec, spec.entry);
  const perEntry = Array.from({ length: spec.maxItems ?? 0 }, (_, i) => c.fields.map((f) => fieldAddress(c, i, f))).flat();
  const weight = c.fields.find((f) => f !== c.main && f.type === 'f');
  return [wholeAddress(c), jsonAddress(c), ...perEntry, ...(weight ? [selectAddress(c, weight)] : [])];
}

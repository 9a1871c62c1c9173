import type { ParamSpec } from '../schema/param-spec.js';
import { linearView, type ControlAddress, type Params, type Patch } from './address.js';
import { asNumber, asString, ControlError, fitNumber, type OscArg } from './values.js';

/** The JSON Schema of a "scalar or weighted list" parameter (prompt, seed), as zod writes it. */
export interface ListNode {
  anyOf?: { type?: string; minimum?: number; maximum?: number; maxItems?: number; items?: { properties?: Record<string, FieldNode> } }[];
}
interface FieldNode {
  type?: string;
  minimum?: number;
  maximum?: number;
  default?: unknown;
}

interface Field {
  /** Property name in the list entry (text, seed, weight). */
  name: string;
  /** Name in the address: the field named like its parameter is called `value` (/sdlive/seeds/0/value). */
  address: string;
  type: 'f' | 'i' | 's';
  node: FieldNode;
}

type Entry = Record<string, unknown>;

const oscType = (t: string | undefined): Field['type'] => (t === 'string' ? 's' : t === 'integer' ? 'i' : 'f');

function coerce(field: Field, a: OscArg | undefined): string | number {
  if (field.type === 's') return asString(a);
  return fitNumber(asNumber(a), { min: field.node.minimum, max: field.node.maximum, step: field.type === 'i' ? 1 : undefined });
}

/** Builds the addresses of one weighted-list parameter, or none when the schema node is not one. */
export function listAddresses(root: string, spec: ParamSpec, node: ListNode): ControlAddress[] {
  const scalarNode = node.anyOf?.find((n) => n.type !== 'array');
  const arrayNode = node.anyOf?.find((n) => n.type === 'array');
  const props = arrayNode?.items?.properties;
  if (!scalarNode || !arrayNode || !props) return [];
  const fields: Field[] = Object.entries(props).map(([name, f]) => ({ name, address: name === spec.key ? 'value' : name, type: oscType(f.type), node: f }));
  const scalar = fields.find((f) => f.type === oscType(scalarNode.type)) ?? fields[0]!;
  const defaults = Object.fromEntries(fields.filter((f) => f.node.default !== undefined).map((f) => [f.name, f.node.default]));
  const listName = `${spec.key}s`;

  const entries = (p: Params): Entry[] => {
    const v = p[spec.key];
    return Array.isArray(v) ? (v as Entry[]) : [{ ...defaults, [scalar.name]: v }];
  };
  const entryFrom = (row: unknown): Entry => {
    if (Array.isArray(row)) return { ...defaults, ...Object.fromEntries(row.map((v, i) => [fields[i]?.name ?? String(i), coerce(fields[i] ?? scalar, v as OscArg)])) };
    if (row && typeof row === 'object') return row as Entry;
    throw new ControlError('bad_type', `a ${spec.key} list entry must be [${fields.map((f) => f.name).join(', ')}]`);
  };
  const parseJsonList = (text: string): Entry[] => {
    let rows: unknown;
    try {
      rows = JSON.parse(text);
    } catch {
      throw new ControlError('bad_type', `${spec.key} list is not valid JSON`);
    }
    if (!Array.isArray(rows)) throw new ControlError('bad_type', `${spec.key} list must be a JSON array`);
    return rows.map(entryFrom);
  };
  const writeWhole = (_: Params, args: readonly OscArg[]): Patch => {
    const [a] = args;
    if (args.length === 1 && typeof a === 'string' && a.trimStart().startsWith('[')) return { [spec.key]: parseJsonList(a) };
    if (args.length === 1) return { [spec.key]: coerce(scalar, a) };
    if (args.length === 0 || args.length % fields.length !== 0) {
      throw new ControlError('bad_type', `expected one ${scalar.name}, a JSON list, or ${fields.map((f) => f.name).join(', ')} groups`);
    }
    const rows = Array.from({ length: args.length / fields.length }, (_, i) => args.slice(i * fields.length, (i + 1) * fields.length));
    return { [spec.key]: rows.map(entryFrom) };
  };
  const whole: ControlAddress = {
    path: `${root}/${spec.key}`, target: spec.key, spec, description: spec.description, unit: spec.unit,
    type: scalar.type, min: scalarNode.minimum, max: scalarNode.maximum, numeric: false, readable: true,
    read: (p) => {
      const v = p[spec.key];
      return Array.isArray(v) ? [JSON.stringify((v as Entry[]).map((e) => fields.map((f) => e[f.name])))] : [v as string | number];
    },
    write: writeWhole,
  };

  const scalarPath = (i: number) => `${root}/${listName}/${i}/${scalar.address}`;
  /** An entry is added by its main field (text, value): the others have nothing to attach to before it exists. */
  const checkExists = (i: number, field: Field, length: number): void => {
    if (i > length) throw new ControlError('out_of_range', `no ${spec.key} list entry ${i} (it has ${length}; set ${scalarPath(length)} first)`);
    if (i === length && field !== scalar && defaults[scalar.name] === undefined) {
      throw new ControlError('out_of_range', `no ${spec.key} list entry ${i} (set ${scalarPath(i)} first)`);
    }
  };
  const fieldAddress = (i: number, field: Field): ControlAddress => {
    const set = (p: Params, value: string | number): Patch => {
      const list = entries(p).map((e) => ({ ...e }));
      checkExists(i, field, list.length);
      list[i] = { ...defaults, ...list[i], [field.name]: value };
      return { [spec.key]: list };
    };
    const get = (p: Params) => entries(p)[i]?.[field.name] as string | number | undefined;
    const { minimum: min, maximum: max } = field.node;
    return {
      path: `${root}/${listName}/${i}/${field.address}`, target: `${listName}/${i}/${field.address}`, spec,
      description: `${field.name} of ${spec.key} list entry ${i}`, type: field.type, min, max,
      numeric: field.type !== 's', readable: true,
      read: (p) => (get(p) === undefined ? [] : [get(p)!]),
      write: (p, args) => set(p, coerce(field, args[0])),
      unitView: field.type === 'f' && min !== undefined && max !== undefined
        ? linearView(min, max, (p) => (get(p) as number | undefined) ?? min, (p, v) => set(p, v))
        : undefined,
    };
  };
  const maxItems = arrayNode.maxItems ?? 0;
  const perEntry = Array.from({ length: maxItems }, (_, i) => fields.map((f) => fieldAddress(i, f))).flat();
  const weight = fields.find((f) => f !== scalar && f.type === 'f');
  return weight ? [whole, ...perEntry, selectAddress(root, spec, listName, maxItems, weight.name, entries)] : [whole, ...perEntry];
}

/** `/sdlive/prompts/select i`: entry i at full weight, the others silent (program change, buttons). */
function selectAddress(root: string, spec: ParamSpec, listName: string, maxItems: number, weight: string, entries: (p: Params) => Entry[]): ControlAddress {
  return {
    path: `${root}/${listName}/select`, target: `${listName}/select`, spec,
    description: `Bring ${spec.key} list entry N to full weight and silence the others`, type: 'i', min: 0, max: maxItems - 1,
    numeric: false, readable: true,
    read: (p) => {
      const ws = entries(p).map((e) => Number(e[weight] ?? 0));
      return [ws.indexOf(Math.max(...ws))];
    },
    write: (p, args) => {
      const list = entries(p);
      const i = asNumber(args[0]);
      if (!Number.isInteger(i) || i < 0 || i >= list.length) throw new ControlError('out_of_range', `${listName} has no entry ${i} (it has ${list.length})`);
      return { [spec.key]: list.map((e, j) => ({ ...e, [weight]: j === i ? 1 : 0 })) };
    },
  };
}

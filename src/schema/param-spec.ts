import { z } from 'zod';
import type { NormRange, ParamMeta, WeightedListKind } from './param.js';

export type ParamKind =
  | 'number' | 'integer' | 'boolean' | 'string' | 'enum'
  | 'int_list' | 'enum_list' | 'json' | WeightedListKind;

/** One field of a list entry (`text`, `seed`, `weight` of a prompt or seed list). */
export interface EntryField {
  key: string;
  kind: 'string' | 'number' | 'integer';
  min?: number;
  max?: number;
  step?: number;
  norm?: NormRange;
  maxLength?: number;
  default?: unknown;
}

/** The entries of a "scalar or weighted list" parameter: their fields, and the one a single value sets. */
export interface EntrySpec {
  fields: EntryField[];
  /** Key of the field a single value stands for (`text` for a prompt string, `seed` for a seed number). */
  main: string;
}

/** One parameter as every consumer (OSC, OSCQuery, mappings, web page) sees it, derived from the zod schema. */
export interface ParamSpec extends Omit<ParamMeta, 'kind'> {
  key: string;
  kind: ParamKind;
  default: unknown;
  min?: number;
  max?: number;
  step?: number;
  values?: string[];
  minItems?: number;
  maxItems?: number;
  /** Present for the kinds that are a scalar or a weighted list (prompt, seed). */
  entry?: EntrySpec;
}

type JsonNode = Record<string, unknown> & {
  type?: string; enum?: string[]; anyOf?: JsonNode[]; oneOf?: JsonNode[]; items?: JsonNode; properties?: Record<string, JsonNode>;
  minimum?: number; maximum?: number; multipleOf?: number; minItems?: number; maxItems?: number; maxLength?: number;
  norm?: NormRange; kind?: WeightedListKind;
};

type Derived = Pick<ParamSpec, 'kind' | 'values' | 'min' | 'max' | 'step' | 'minItems' | 'maxItems' | 'entry'>;

function entryField(key: string, node: JsonNode): EntryField {
  const kind = node.type === 'string' ? 'string' : node.type === 'integer' ? 'integer' : 'number';
  return dropUndefined({
    key, kind, min: node.minimum, max: node.maximum, step: kind === 'integer' ? (node.multipleOf ?? 1) : undefined,
    norm: node.norm, maxLength: node.maxLength, default: node.default,
  });
}

/** A union of a scalar and a list of objects: the kind its metadata names, the scalar's range, the entries' fields. */
function weightedList(key: string, node: JsonNode): Derived {
  const scalar = node.anyOf!.find((n) => n.type !== 'array');
  const list = node.anyOf!.find((n) => n.type === 'array');
  const fields = Object.entries(list?.items?.properties ?? {}).map(([k, f]) => entryField(k, f));
  const main = fields.find((f) => (f.kind === 'string') === (scalar?.type === 'string'));
  if (!node.kind || !scalar || !main) throw new Error(`parameter ${key}: a scalar-or-list parameter needs param() metadata "kind" and list entries with a field of the scalar's type`);
  return { kind: node.kind, min: scalar.minimum, max: scalar.maximum, minItems: list?.minItems, maxItems: list?.maxItems, entry: { fields, main: main.key } };
}

function derive(key: string, node: JsonNode): Derived {
  if (node.anyOf) return weightedList(key, node);
  if (node.type === 'array') {
    const items = node.items ?? {};
    if (items.type === 'object' || items.oneOf || items.anyOf) return { kind: 'json', minItems: node.minItems, maxItems: node.maxItems };
    const bounds = { minItems: node.minItems, maxItems: node.maxItems };
    return items.enum ? { kind: 'enum_list', values: items.enum, ...bounds } : { kind: 'int_list', min: items.minimum, max: items.maximum, step: 1, ...bounds };
  }
  if (node.enum) return { kind: 'enum', values: node.enum };
  if (node.type === 'integer') return { kind: 'integer', min: node.minimum, max: node.maximum, step: node.multipleOf ?? 1 };
  if (node.type === 'number') return { kind: 'number', min: node.minimum, max: node.maximum };
  if (node.type === 'boolean') return { kind: 'boolean' };
  return { kind: 'string' };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The parameter list of a pipeline schema, ordered for display. */
export function paramSpecs(schema: z.ZodType): ParamSpec[] {
  const json = jsonSchema(schema) as { properties: Record<string, JsonNode> };
  return Object.entries(json.properties)
    .map(([key, node]) => dropUndefined({
      key,
      ...derive(key, node),
      default: node.default,
      label: node.label as string,
      group: node.group as string,
      order: node.order as number,
      phase: node.phase as ParamMeta['phase'],
      description: (node.description as string) ?? '',
      unit: node.unit as string | undefined,
      norm: node.norm,
      remoteChoices: node.remoteChoices as string | undefined,
      show: node.show as true | undefined,
    }))
    .sort((a, b) => a.order - b.order);
}

/** JSON Schema of a pipeline's parameters, with the UI metadata, as `sdlive schema --json` prints it. */
export function jsonSchema(schema: z.ZodType): object {
  return z.toJSONSchema(schema, { io: 'input' });
}

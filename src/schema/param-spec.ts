import { z } from 'zod';
import type { ParamMeta } from './param.js';

export type ParamKind =
  | 'number' | 'integer' | 'boolean' | 'string' | 'enum'
  | 'int_list' | 'enum_list' | 'prompt' | 'seed';

/** One parameter as every consumer (OSC, OSCQuery, mappings, web page) sees it, derived from the zod schema. */
export interface ParamSpec extends ParamMeta {
  key: string;
  kind: ParamKind;
  default: unknown;
  min?: number;
  max?: number;
  step?: number;
  values?: string[];
  minItems?: number;
  maxItems?: number;
}

type JsonNode = Record<string, unknown> & {
  type?: string; enum?: string[]; anyOf?: JsonNode[]; items?: JsonNode;
  minimum?: number; maximum?: number; multipleOf?: number; minItems?: number; maxItems?: number;
};

function kindOf(node: JsonNode): Pick<ParamSpec, 'kind' | 'values' | 'min' | 'max' | 'step'> {
  if (node.anyOf) {
    const scalar = node.anyOf.find((n) => n.type !== 'array') ?? {};
    return { ...kindOf(scalar), kind: scalar.type === 'string' ? 'prompt' : 'seed' };
  }
  if (node.type === 'array') {
    const items = node.items ?? {};
    return items.enum ? { kind: 'enum_list', values: items.enum } : { kind: 'int_list', min: items.minimum, max: items.maximum, step: 1 };
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
      ...kindOf(node),
      default: node.default,
      minItems: node.minItems,
      maxItems: node.maxItems,
      label: node.label as string,
      group: node.group as string,
      order: node.order as number,
      phase: node.phase as ParamMeta['phase'],
      description: (node.description as string) ?? '',
      unit: node.unit as string | undefined,
      remoteChoices: node.remoteChoices as string | undefined,
    }))
    .sort((a, b) => a.order - b.order);
}

/** JSON Schema of a pipeline's parameters, with the UI metadata, as `sdlive schema --json` prints it. */
export function jsonSchema(schema: z.ZodType): object {
  return z.toJSONSchema(schema, { io: 'input' });
}

import type { ParamSpec } from '../../schema/param-spec.js';
import { binView, linearView, type ControlAddress, type Params, type Patch } from './address.js';
import { asBoolean, asNumber, asString, ControlError, fitNumber, type OscArg } from './values.js';

type Base = Pick<ControlAddress, 'path' | 'target' | 'spec' | 'description' | 'unit'>;

function base(root: string, spec: ParamSpec, target = spec.key): Base {
  return { path: `${root}/${target}`, target, spec, description: spec.description, unit: spec.unit };
}

function first(args: readonly OscArg[]): OscArg {
  if (args.length === 0) throw new ControlError('bad_type', 'expected a value, got no arguments');
  return args[0]!;
}

function numberAddress(root: string, spec: ParamSpec): ControlAddress {
  const integer = spec.kind === 'integer';
  const bounds = { min: spec.min, max: spec.max, step: integer ? (spec.step ?? 1) : undefined };
  const set = (_: Params, v: number): Patch => ({ [spec.key]: fitNumber(v, bounds) });
  const get = (p: Params) => p[spec.key] as number;
  return {
    ...base(root, spec), type: integer ? 'i' : 'f', min: spec.min, max: spec.max, numeric: true, readable: true,
    read: (p) => [get(p)],
    write: (p, args) => set(p, asNumber(first(args))),
    unitView: unitRange(spec) && linearView(...unitRange(spec)!, get, set),
  };
}

/** The native values at 0 and 1 of a number's control: its norm range, else its schema range. */
function unitRange(spec: ParamSpec): [number, number] | undefined {
  const [lo, hi] = [spec.norm?.min ?? spec.min, spec.norm?.max ?? spec.max];
  return lo !== undefined && hi !== undefined ? [lo, hi] : undefined;
}

function booleanAddress(root: string, spec: ParamSpec): ControlAddress {
  const set = (_: Params, index: number): Patch => ({ [spec.key]: index === 1 });
  return {
    ...base(root, spec), type: 'T', numeric: false, readable: true,
    read: (p) => [p[spec.key] as boolean],
    write: (_, args) => ({ [spec.key]: asBoolean(first(args)) }),
    unitView: binView(2, (p) => (p[spec.key] ? 1 : 0), set),
  };
}

/** An enum value from its name or its index. */
function enumValue(values: readonly string[], a: OscArg): string {
  if (typeof a === 'number' && Number.isInteger(a) && values[a] !== undefined) return values[a];
  if (typeof a === 'string' && values.includes(a)) return a;
  throw new ControlError('out_of_range', `expected one of ${values.join('|')} (or its index), got ${JSON.stringify(a)}`);
}

function enumAddress(root: string, spec: ParamSpec): ControlAddress {
  const values = spec.values ?? [];
  return {
    ...base(root, spec), type: 's', values, numeric: false, readable: true,
    read: (p) => [p[spec.key] as string],
    write: (_, args) => ({ [spec.key]: enumValue(values, first(args)) }),
    unitView: binView(values.length, (p) => values.indexOf(p[spec.key] as string), (_, i) => ({ [spec.key]: values[i] })),
  };
}

function stringAddress(root: string, spec: ParamSpec): ControlAddress {
  return {
    ...base(root, spec), type: 's', numeric: false, readable: true,
    read: (p) => [p[spec.key] as string],
    write: (_, args) => ({ [spec.key]: asString(first(args)) }),
  };
}

function enumListAddress(root: string, spec: ParamSpec): ControlAddress {
  const values = spec.values ?? [];
  return {
    ...base(root, spec), type: 's', list: true, values, numeric: false, readable: true,
    read: (p) => [...(p[spec.key] as string[])],
    write: (_, args) => ({ [spec.key]: args.map((a) => enumValue(values, a)) }),
  };
}

/** A structured value (a list of objects: modulators) as one JSON text. */
function jsonAddress(root: string, spec: ParamSpec): ControlAddress {
  return {
    ...base(root, spec), type: 's', numeric: false, readable: true,
    read: (p) => [JSON.stringify(p[spec.key])],
    write: (_, args) => {
      try {
        return { [spec.key]: JSON.parse(asString(first(args))) as unknown };
      } catch (e) {
        if (e instanceof ControlError) throw e;
        throw new ControlError('bad_type', `${spec.key} takes JSON text: ${(e as Error).message}`);
      }
    },
  };
}

/** An integer list as a whole (`/sdlive/t_index_list 20 35`) and item by item (`/sdlive/t_index_list/1 35`). */
function intListAddresses(root: string, spec: ParamSpec): ControlAddress[] {
  const bounds = { min: spec.min, max: spec.max, step: 1 };
  const get = (p: Params) => p[spec.key] as number[];
  const whole: ControlAddress = {
    ...base(root, spec), type: 'i', list: true, min: spec.min, max: spec.max, numeric: false, readable: true,
    read: (p) => [...get(p)],
    write: (_, args) => ({ [spec.key]: args.map((a) => fitNumber(asNumber(a), bounds)) }),
  };
  const item = (i: number): ControlAddress => {
    const set = (p: Params, v: number): Patch => {
      const list = [...get(p)];
      if (i > list.length) throw new ControlError('out_of_range', `item ${i} does not exist (the list has ${list.length})`);
      list[i] = fitNumber(v, bounds);
      return { [spec.key]: list };
    };
    const read = (p: Params) => get(p)[i];
    return {
      ...base(root, spec, `${spec.key}/${i}`), type: 'i', min: spec.min, max: spec.max, numeric: true, readable: true,
      read: (p) => (read(p) === undefined ? [] : [read(p)!]),
      write: (p, args) => set(p, asNumber(first(args))),
      unitView: spec.min !== undefined && spec.max !== undefined ? linearView(spec.min, spec.max, (p) => read(p) ?? spec.min!, set) : undefined,
    };
  };
  return [whole, ...Array.from({ length: spec.maxItems ?? 0 }, (_, i) => item(i))];
}

export const SCALAR_BUILDERS: Partial<Record<ParamSpec['kind'], (root: string, spec: ParamSpec) => ControlAddress[]>> = {
  number: (r, s) => [numberAddress(r, s)],
  integer: (r, s) => [numberAddress(r, s)],
  boolean: (r, s) => [booleanAddress(r, s)],
  enum: (r, s) => [enumAddress(r, s)],
  string: (r, s) => [stringAddress(r, s)],
  enum_list: (r, s) => [enumListAddress(r, s)],
  int_list: intListAddresses,
  json: (r, s) => [jsonAddress(r, s)],
};

import type { z } from 'zod';
import { paramSpecs } from '../../schema/param-spec.js';
import type { ControlAddress, Params, Patch } from './address.js';
import { listAddresses } from './list-addresses.js';
import { SCALAR_BUILDERS } from './param-addresses.js';
import { isPattern, OscPattern } from '../osc/pattern.js';
import { asNumber, clamp01, ControlError, type OscArg } from './values.js';

export const OSC_ROOT = '/sdlive';

/** The 0..1 twin of an address: `/sdlive/norm/<target>`. */
function normAddress(root: string, a: ControlAddress): ControlAddress {
  const view = a.unitView!;
  return {
    path: `${root}/norm/${a.target}`, target: `norm/${a.target}`, spec: a.spec,
    description: `${a.description} (0..1)`, type: 'f', min: 0, max: 1, numeric: true, readable: true,
    // A twin has a value only where its address has one (no 0 for a list entry that does not exist).
    read: (p) => (a.read(p).length > 0 ? [view.get(p)] : []),
    write: (p, args) => view.patch(p, clamp01(asNumber(args[0]))),
    unitView: view,
  };
}

const RELATIVE = { '+': (a: number, b: number) => a + b, '-': (a: number, b: number) => a - b, '*': (a: number, b: number) => a * b } as const;
type RelativeOp = keyof typeof RELATIVE;

export const isQuery = (args: readonly OscArg[]) => args.length === 1 && args[0] === '?';
const isRelative = (args: readonly OscArg[]): args is [RelativeOp, ...OscArg[]] => typeof args[0] === 'string' && args[0] in RELATIVE && args.length === 2;

/**
 * Every address of the control surface, generated from a pipeline's parameter schema: `/sdlive/<param>`,
 * list items and entries, and their `/sdlive/norm/...` 0..1 twins. OSC, OSCQuery, mapping files and learn
 * all resolve through here.
 */
export class AddressSpace {
  readonly addresses: readonly ControlAddress[];
  private readonly byPath: ReadonlyMap<string, ControlAddress>;
  private readonly patterns = new Map<string, ControlAddress[]>();

  constructor(schema: z.ZodType, readonly root = OSC_ROOT) {
    const native = paramSpecs(schema).flatMap((spec) => SCALAR_BUILDERS[spec.kind]?.(root, spec) ?? listAddresses(root, spec));
    const norm = native.filter((a) => a.unitView).map((a) => normAddress(root, a));
    this.addresses = [...native, ...norm];
    this.byPath = new Map(this.addresses.map((a) => [a.path, a]));
  }

  get(path: string): ControlAddress | undefined {
    return this.byPath.get(path);
  }

  /** An address by its target relative to the root (`delta`, `prompts/1/weight`, `norm/delta`). */
  target(target: string): ControlAddress | undefined {
    return this.byPath.get(`${this.root}/${target.replace(/^\/+/, '')}`);
  }

  /** The addresses an incoming OSC address or pattern names; an unknown plain address matches none. */
  match(address: string): readonly ControlAddress[] {
    if (!isPattern(address)) {
      const a = this.byPath.get(address);
      return a ? [a] : [];
    }
    let hits = this.patterns.get(address);
    if (!hits) {
      const pattern = new OscPattern(address);
      hits = this.addresses.filter((a) => pattern.matches(a.path));
      if (this.patterns.size > 1000) this.patterns.clear();
      this.patterns.set(address, hits);
    }
    return hits;
  }
}

/** The store patch for OSC arguments: absolute values, or a relative change ("+" 0.1, "-" 2, "*" 1.5) on numbers. */
export function patchFor(address: ControlAddress, p: Params, args: readonly OscArg[]): Patch {
  if (!isRelative(args)) return address.write(p, args);
  if (!address.numeric) throw new ControlError('bad_type', `${address.path} does not take relative changes`);
  const current = address.read(p)[0];
  if (typeof current !== 'number') throw new ControlError('rejected', `${address.path} has no value to change`);
  return address.write(p, [RELATIVE[args[0]](current, asNumber(args[1]))]);
}

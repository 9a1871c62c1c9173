import type { ControlAddress, Params } from '../space/address.js';
import type { OscArg } from '../space/values.js';

/** OSCQuery ACCESS values. */
export const ACCESS = { none: 0, read: 1, write: 2, readWrite: 3 } as const;

/** A node outside the parameter space (metrics, commands), listed in the namespace beside the parameters. */
export interface ExtraNode {
  path: string;
  type: string;
  access: number;
  description: string;
  unit?: string;
  read?: () => OscArg[];
}

export type OscQueryNode = {
  FULL_PATH: string;
  CONTENTS?: Record<string, OscQueryNode>;
  TYPE?: string;
  VALUE?: unknown[];
  RANGE?: object[];
  ACCESS?: number;
  DESCRIPTION?: string;
  UNIT?: string[];
  CLIPMODE?: string[];
};

/** The names a string parameter may be set to from the network (the known models for `model`), if limited. */
export type ChoiceNames = (key: string) => readonly string[] | undefined;

function leafOf(a: ControlAddress, p: Params, choices: ChoiceNames): OscQueryNode {
  const value = a.readable ? a.read(p) : [];
  const count = a.list ? Math.max(1, value.length) : 1;
  const values = a.values ?? (a.type === 's' && !a.list && a.target === a.spec.key ? choices(a.spec.key) : undefined);
  const oneRange = values ? { VALS: values } : a.min !== undefined || a.max !== undefined ? { MIN: a.min, MAX: a.max } : undefined;
  const node: OscQueryNode = {
    FULL_PATH: a.path,
    TYPE: a.type.repeat(count),
    ACCESS: a.readable ? ACCESS.readWrite : ACCESS.write,
    DESCRIPTION: a.description,
  };
  if (value.length) node.VALUE = value.map((v) => (v instanceof Uint8Array ? null : v));
  if (oneRange) {
    node.RANGE = Array.from({ length: count }, () => oneRange);
    if (oneRange.VALS === undefined) node.CLIPMODE = Array.from({ length: count }, () => 'both');
  }
  if (a.unit) node.UNIT = Array.from({ length: count }, () => a.unit!);
  return node;
}

function extraLeaf(n: ExtraNode): OscQueryNode {
  const node: OscQueryNode = { FULL_PATH: n.path, TYPE: n.type, ACCESS: n.access, DESCRIPTION: n.description };
  const value = n.read?.();
  if (value?.length) node.VALUE = value;
  if (n.unit) node.UNIT = [n.unit];
  return node;
}

/** Inserts a leaf at its path, creating container nodes on the way. */
function insert(root: OscQueryNode, leaf: OscQueryNode): void {
  const parts = leaf.FULL_PATH.split('/').filter(Boolean);
  let node = root;
  parts.forEach((part, i) => {
    node.CONTENTS ??= {};
    if (i === parts.length - 1) {
      node.CONTENTS[part] = { ...leaf, CONTENTS: node.CONTENTS[part]?.CONTENTS };
      if (!node.CONTENTS[part].CONTENTS) delete node.CONTENTS[part].CONTENTS;
      return;
    }
    node.CONTENTS[part] ??= { FULL_PATH: `/${parts.slice(0, i + 1).join('/')}`, ACCESS: ACCESS.none };
    node = node.CONTENTS[part];
  });
}

/** The whole OSCQuery tree, values included, generated from the address space on each request. */
export function buildNamespace(addresses: readonly ControlAddress[], extras: readonly ExtraNode[], p: Params, choices: ChoiceNames = () => undefined): OscQueryNode {
  const root: OscQueryNode = { FULL_PATH: '/', ACCESS: ACCESS.none, DESCRIPTION: 'sdlive', CONTENTS: {} };
  for (const a of addresses) insert(root, leafOf(a, p, choices));
  for (const n of extras) insert(root, extraLeaf(n));
  return root;
}

/** The node at an OSC path, or undefined. */
export function findNode(root: OscQueryNode, path: string): OscQueryNode | undefined {
  let node: OscQueryNode | undefined = root;
  for (const part of path.split('/').filter(Boolean)) node = node?.CONTENTS?.[part];
  return node;
}

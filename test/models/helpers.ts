import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { resolveModelDir } from '../../src/models/resolve.js';
import type { TensorF32 } from '../../src/models/sd-models.js';
import type { TinyVariantName } from '../../src/models/tiny/variants.js';

/** A pino logger whose records land in an array. */
export function arrayLogger() {
  const records: { level: number; msg: string; [k: string]: unknown }[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line) as (typeof records)[number]) });
  return { log, records };
}

/** A private copy of a built-in tiny model folder, free to damage. */
export function copyOfTiny(variant: TinyVariantName): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'sdlive-model-')), variant);
  cpSync(resolveModelDir(`builtin:tiny-${variant}`), dir, { recursive: true });
  return dir;
}

/** Deterministic pseudo-random tensor in [-1, 1]. */
export function wave(dims: number[], phase = 0): TensorF32 {
  const n = dims.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + phase)), dims };
}

export function maxAbsDiff(a: TensorF32, b: TensorF32): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

export function range(t: TensorF32): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of t.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

import { readFileSync } from 'node:fs';
import { fromHalfBits } from '../fp16.js';

/** One tensor of a .safetensors file, as float32 whatever it was stored as. */
export interface SafeTensor {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const HEADER_LIMIT = 100 * 1024 * 1024;

let halfTable: Float32Array | undefined;

/** float16 -> float32 by a 65536-entry table: a LoRA holds tens of millions of halves, decoding each costs 100x more. */
function f16ToF32(bits: Uint16Array): Float32Array {
  halfTable ??= Float32Array.from({ length: 65536 }, (_, h) => fromHalfBits(h));
  const table = halfTable;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

function bf16ToF32(bits: Uint16Array): Float32Array {
  const wide = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) wide[i] = bits[i]! << 16;
  return new Float32Array(wide.buffer);
}

/** Element bytes -> float32; copied first (a Buffer's slice() would not), so the views are aligned and exact. */
function toFloat32(dtype: string, bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes).buffer;
  if (dtype === 'F32') return new Float32Array(copy);
  if (dtype === 'F16') return f16ToF32(new Uint16Array(copy));
  if (dtype === 'BF16') return bf16ToF32(new Uint16Array(copy));
  if (dtype === 'F64') return Float32Array.from(new Float64Array(copy));
  throw new Error(`dtype ${dtype} is not supported (F32, F16, BF16, F64)`);
}

/**
 * A .safetensors file: an 8-byte little-endian header length, a JSON header (name -> dtype, shape, byte range
 * after the header; `__metadata__`, not read here), then the raw little-endian tensors.
 */
export function readSafetensors(file: string): Map<string, SafeTensor> {
  const buf = readFileSync(file);
  if (buf.length < 8) throw new Error(`${file}: not a safetensors file (too short)`);
  const headerLength = Number(buf.readBigUInt64LE(0));
  if (headerLength > HEADER_LIMIT || 8 + headerLength > buf.length) throw new Error(`${file}: not a safetensors file (header length ${headerLength})`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new Error(`${file}: not a safetensors file (the header is not JSON)`);
  }
  const body = buf.subarray(8 + headerLength);
  const tensors = new Map<string, SafeTensor>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [from, to] } = value as HeaderEntry;
    if (!(to <= body.length && from <= to)) throw new Error(`${file}: ${name} lies outside the file`);
    tensors.set(name, { dtype, shape, data: toFloat32(dtype, body.subarray(from, to)) });
  }
  return tensors;
}

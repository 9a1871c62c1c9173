import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { SdliveError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { PresetFields, PresetParams } from './fields.js';

/** A name a preset can be recalled by: not only digits (those recall by number), no surrounding blanks. */
export const PresetName = z.string().min(1).max(64)
  .refine((s) => s.trim() === s, 'no leading or trailing blanks')
  .refine((s) => !/^\d+$/.test(s), 'not only digits (a number recalls by number)');

/** The number MIDI program change (plus the binding's offset) and `preset/recall 3` recall it by. */
export const PresetNumber = z.int().min(0).max(16383);

/** A bank's name is its file name without `.json`: no path separators, so a name from the network stays in the folder. */
export const BankName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, 'letters, digits, space, _ . - (a file name without .json)')
  .refine((s) => !s.endsWith('.json') && !s.includes('..'), 'a bank name, not a file name');

export interface Preset {
  name: string;
  number?: number;
  params: PresetParams;
}

export interface Bank {
  name: string;
  description: string;
  presets: readonly Preset[];
}

const BankFile = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).default(''),
  presets: z.array(z.strictObject({
    name: PresetName,
    number: PresetNumber.optional(),
    params: z.record(z.string(), z.unknown()),
  })).max(1000).default([]),
}).superRefine((bank, ctx) => {
  const firstAt = new Map<string, number>();
  bank.presets.forEach((p, i) => {
    for (const key of ['name', 'number'] as const) {
      if (p[key] === undefined) continue;
      const id = `${key} ${JSON.stringify(p[key])}`;
      const first = firstAt.get(id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['presets', i, key], message: `${JSON.stringify(p[key])} is also presets[${first}].${key}` });
      else firstAt.set(id, i);
    }
  });
});

/** `presets[2].params.delta` from a zod path. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '') || '(root)';
}

export const bankError = (file: string, field: string, reason: string) => new SdliveError('SDL_ERR_PRESET', `${file}: ${field}: ${reason}`, field);

/** A bank file's text as a bank, every preset checked against the pipeline's fields; the error names the file and field. */
export function parseBank(file: string, text: string, fields: PresetFields): Bank {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bankError(file, '(root)', `not valid JSON: ${(e as Error).message}`);
  }
  const parsed = BankFile.safeParse(json);
  if (!parsed.success) throw bankError(file, fieldPath(parsed.error.issues[0]!.path), parsed.error.issues[0]!.message);
  const presets = parsed.data.presets.map((p, i): Preset => {
    const checked = fields.check(p.params);
    if ('problem' in checked) throw bankError(file, `presets[${i}].params.${checked.problem.path}`, checked.problem.message);
    return { name: p.name, ...(p.number === undefined ? {} : { number: p.number }), params: checked.params };
  });
  return { name: parsed.data.name, description: parsed.data.description, presets };
}

/** Reads a bank file; a file that does not exist yet is an empty bank of that name (the first save creates it). */
export async function readBank(file: string, name: string, fields: PresetFields): Promise<Bank> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { name, description: '', presets: [] };
    throw bankError(file, '(file)', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseBank(file, text, fields);
}

/** Writes a bank atomically (a crash leaves the old file or the new one). */
export function writeBank(file: string, bank: Bank): Promise<void> {
  const presets = bank.presets.map((p) => ({ name: p.name, ...(p.number === undefined ? {} : { number: p.number }), params: p.params }));
  return writeFileAtomic(file, `${JSON.stringify({ name: bank.name, description: bank.description, presets }, null, 2)}\n`);
}

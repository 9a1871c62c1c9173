import { HubApiError } from '@huggingface/hub';
import { SdliveError } from '../../errors.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** Where the hub is and who asks: HF_ENDPOINT (a mirror) and HF_TOKEN, as the Python tools read them. */
export interface HubAccess {
  hubUrl: string;
  accessToken?: string;
}

export function hubAccess(env: NodeJS.ProcessEnv = process.env): HubAccess {
  const hubUrl = (env.HF_ENDPOINT?.trim() || DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const token = env.HF_TOKEN?.trim();
  if (token && !token.startsWith('hf_')) throw new SdliveError('SDL_ERR_HUB', 'HF_TOKEN does not look like a Hugging Face token (they start with hf_): copy it again from huggingface.co/settings/tokens', 'HF_TOKEN');
  return token ? { hubUrl, accessToken: token } : { hubUrl };
}

const OFFLINE_HINT = 'check the network, set HF_ENDPOINT to a reachable mirror, or copy the model folder here by hand (docs/models.md)';

function causeCode(e: unknown): string | undefined {
  const cause = e instanceof Error ? (e.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** A failed hub request as one line naming the URL and what to set. */
export function hubError(e: unknown, url: string): SdliveError {
  if (e instanceof SdliveError) return e;
  if (e instanceof HubApiError) {
    const at = e.url || url;
    if (e.statusCode === 401 || e.statusCode === 403) {
      return new SdliveError('SDL_ERR_HUB', `${at} answered ${e.statusCode}: a gated or private repo needs HF_TOKEN (and its licence accepted on the hub page)`, 'HF_TOKEN');
    }
    if (e.statusCode === 404) return new SdliveError('SDL_ERR_HUB', `${at} answered 404: no such repo, revision or file (check the name, or HF_TOKEN for a private repo)`, 'model');
    return new SdliveError('SDL_ERR_HUB', `${at} answered ${e.statusCode}: ${OFFLINE_HINT}`, 'HF_ENDPOINT');
  }
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : undefined;
  const what = causeCode(e) ?? cause ?? (e instanceof Error ? e.message : String(e));
  return new SdliveError('SDL_ERR_HUB', `cannot reach ${url} (${what}): ${OFFLINE_HINT}`, 'HF_ENDPOINT');
}

/** Is this a connection that broke (worth resuming), rather than an answer? */
export function isNetworkFailure(e: unknown): boolean {
  if (e instanceof HubApiError) return e.statusCode >= 500 || e.statusCode === 429;
  return e instanceof TypeError || causeCode(e) !== undefined || (e instanceof Error && /terminated|socket|ECONN|aborted|connection ended/i.test(e.message)) || typeof e === 'string';
}

export async function hubCall<T>(url: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw hubError(e, url);
  }
}

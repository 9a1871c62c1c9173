import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { downloadFile } from '@huggingface/hub';
import { SdliveError } from '../../errors.js';
import type { HubCache } from './cache.js';
import { hubError, isNetworkFailure, type HubAccess } from './client.js';
import type { FetchProgress } from './progress.js';

/** One file of a repo at a commit, named in the cache by its content id. */
export interface RemoteFile {
  repo: string;
  commit: string;
  path: string;
  size: number;
  /** The LFS sha256 (big files) or the git blob id (small files): the blob's name, and what its bytes must hash to. */
  blob: string;
  lfs: boolean;
}

const ATTEMPTS = 5;

/** LFS files hash to their sha256; plain git files to sha1("blob <size>\0" + bytes), their git object id. */
function contentHash(file: RemoteFile): Hash {
  if (file.lfs) return createHash('sha256');
  return createHash('sha1').update(`blob ${file.size}\0`);
}

async function hashExisting(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

export function resolveUrl(access: HubAccess, file: RemoteFile): string {
  return `${access.hubUrl}/${file.repo}/resolve/${file.commit}/${file.path}`;
}

/** Appends the bytes from `offset` to the partial file, feeding the hash and the progress as they arrive. */
async function appendFrom(file: RemoteFile, access: HubAccess, partial: string, offset: number, hash: Hash, progress: FetchProgress): Promise<void> {
  const blob = await downloadFile({ repo: file.repo, path: file.path, revision: file.commit, hubUrl: access.hubUrl, accessToken: access.accessToken, xet: false });
  if (!blob) throw new SdliveError('SDL_ERR_HUB', `${resolveUrl(access, file)}: the file listed by the hub is not there (404)`, 'model');
  const out = await open(partial, 'a');
  let received = offset;
  try {
    const reader = blob.slice(offset).stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > file.size) throw new SdliveError('SDL_ERR_CHECKSUM', `${resolveUrl(access, file)}: more bytes than the ${file.size} listed (the server ignored the Range request?)`, 'model');
      await out.write(value);
      hash.update(value);
      progress.advance(value.byteLength);
    }
  } finally {
    await out.close();
  }
  if (received !== file.size) throw new Error(`connection ended at byte ${received} of ${file.size}`);
}

function checkDigest(file: RemoteFile, hash: Hash, partial: string, access: HubAccess): void {
  const digest = hash.digest('hex');
  if (digest === file.blob) return;
  rmSync(partial, { force: true });
  throw new SdliveError('SDL_ERR_CHECKSUM', `${resolveUrl(access, file)}: checksum mismatch (${file.lfs ? 'sha256' : 'git sha1'} ${digest}, the hub lists ${file.blob}); the partial download was deleted, fetch again`, 'model');
}

/**
 * Brings one file into the cache's blobs/ (resuming blobs/<id>.incomplete with a Range request, retrying a
 * broken connection) and checks its hash before it becomes the blob. Returns false when it was already there.
 */
export async function fetchBlob(file: RemoteFile, cache: HubCache, access: HubAccess, progress: FetchProgress): Promise<boolean> {
  const target = cache.blobPath(file.repo, file.blob);
  if (existsSync(target) && statSync(target).size === file.size) return false;
  const partial = `${target}.incomplete`;
  mkdirSync(dirname(target), { recursive: true });
  const hash = contentHash(file);
  const resumedAt = existsSync(partial) ? Math.min(statSync(partial).size, file.size) : 0;
  if (resumedAt > 0) await hashExisting(hash, partial);
  progress.file(file.path, file.size, resumedAt);
  for (let attempt = 1; ; attempt += 1) {
    const offset = existsSync(partial) ? statSync(partial).size : 0;
    try {
      await appendFrom(file, access, partial, offset, hash, progress);
      break;
    } catch (e) {
      if (!isNetworkFailure(e) || attempt >= ATTEMPTS) throw hubError(e, resolveUrl(access, file));
      progress.note(`${file.path}: connection lost (${e instanceof Error ? e.message : String(e)}); resuming (attempt ${attempt + 1} of ${ATTEMPTS})`);
      await sleep(250 * attempt);
    }
  }
  checkDigest(file, hash, partial, access);
  renameSync(partial, target);
  return true;
}

/** The files whose blob is not in the cache yet, each blob once (two paths may hold the same bytes). */
export function missingBlobs(files: readonly RemoteFile[], cache: HubCache): RemoteFile[] {
  const byBlob = new Map(files.map((f) => [`${f.repo}/${f.blob}`, f]));
  return [...byBlob.values()].filter((f) => !existsSync(cache.blobPath(f.repo, f.blob)));
}

/** Bytes still to download for `files` (what blobs/ and the partials already hold is not counted). */
export function bytesToFetch(files: readonly RemoteFile[], cache: HubCache): number {
  return missingBlobs(files, cache).reduce((sum, f) => {
    const partial = `${cache.blobPath(f.repo, f.blob)}.incomplete`;
    return sum + f.size - (existsSync(partial) ? Math.min(statSync(partial).size, f.size) : 0);
  }, 0);
}

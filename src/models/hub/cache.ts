import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { getHFHubCachePath, getRepoFolderName } from '@huggingface/hub';

/**
 * The Hugging Face cache layout shared with the Python tools (huggingface_hub):
 * <cache>/models--owner--name/{blobs/<sha256 or git oid>, snapshots/<commit>/<path> -> ../../blobs/..., refs/<revision>}.
 */
export class HubCache {
  /** HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub (the Python tools' order). */
  constructor(readonly root: string = getHFHubCachePath()) {}

  repoDir(repo: string): string {
    return join(this.root, getRepoFolderName({ name: repo, type: 'model' }));
  }

  blobPath(repo: string, blob: string): string {
    return join(this.repoDir(repo), 'blobs', blob);
  }

  snapshotDir(repo: string, commit: string): string {
    return join(this.repoDir(repo), 'snapshots', commit);
  }

  /** The commit a revision (branch, tag) points to in this cache, or the revision itself when it is a commit. */
  commitOf(repo: string, revision: string): string | undefined {
    const ref = join(this.repoDir(repo), 'refs', revision);
    if (existsSync(ref)) return readFileSync(ref, 'utf8').trim();
    return /^[0-9a-f]{40}$/.test(revision) && existsSync(this.snapshotDir(repo, revision)) ? revision : undefined;
  }

  writeRef(repo: string, revision: string, commit: string): void {
    if (revision === commit) return;
    writeAtomically(join(this.repoDir(repo), 'refs', revision), commit);
  }

  /** snapshots/<commit>/<path> as a relative symlink to its blob, as huggingface_hub makes it. */
  linkSnapshotFile(repo: string, commit: string, path: string, blob: string): void {
    const link = join(this.snapshotDir(repo, commit), path);
    mkdirSync(dirname(link), { recursive: true });
    rmSync(link, { force: true });
    linkFile(relative(dirname(link), this.blobPath(repo, blob)), link);
  }

  /** The file of a snapshot, when it is there and resolves (a dangling link is not a cached file). */
  cachedFile(repo: string, commit: string, path: string): string | undefined {
    const file = join(this.snapshotDir(repo, commit), path);
    try {
      realpathSync(file);
      return file;
    } catch {
      return undefined;
    }
  }

  /** Every cached repo as owner/name with its refs (revision -> commit). */
  repos(): { repo: string; refs: Map<string, string> }[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root).filter((d) => d.startsWith('models--')).sort().map((d) => {
      const repo = d.slice('models--'.length).split('--').join('/');
      return { repo, refs: this.refs(repo) };
    });
  }

  refs(repo: string): Map<string, string> {
    const dir = join(this.repoDir(repo), 'refs');
    const refs = new Map<string, string>();
    if (!existsSync(dir)) return refs;
    const walk = (sub: string): void => {
      for (const e of readdirSync(join(dir, sub), { withFileTypes: true })) {
        const name = sub ? `${sub}/${e.name}` : e.name;
        if (e.isDirectory()) walk(name);
        else refs.set(name, readFileSync(join(dir, name), 'utf8').trim());
      }
    };
    walk('');
    return refs;
  }
}

/**
 * A symlink to `target` (relative to the link's folder, or absolute); where symlinks need a privilege (Windows
 * without developer mode) a hard link, else a copy, as huggingface_hub falls back too.
 */
export function linkFile(target: string, link: string): void {
  try {
    symlinkSync(target, link);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    const absolute = resolve(dirname(link), target);
    try {
      linkSync(absolute, link);
    } catch {
      copyFileSync(absolute, link);
    }
  }
}

export function writeAtomically(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

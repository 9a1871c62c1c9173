import { mappingIdentity } from './mapping.js';

/** How often a source looks whether the region under its name was removed or recreated. */
export const NAME_CHECK_MS = 1000;

/**
 * Notices that the region under a name is no longer the one mapped (inode and size on Linux/macOS): a writer
 * that crashed and started again created a new region, or its name was removed (Python's resource tracker
 * unlinks a dead writer's memory). On Windows a held mapping cannot be replaced, so nothing ever changes.
 */
export class NameWatch {
  private identity: string | undefined;
  private checkedAt = performance.now();

  constructor(private readonly name: string) {}

  /** Call just before mapping the name: a region replaced in between is then seen at the next check, never missed. */
  remember(): void {
    this.identity = mappingIdentity(this.name);
    this.checkedAt = performance.now();
  }

  /** At most once per NAME_CHECK_MS: 'gone' or 'replaced' when the name no longer leads to the mapped region. */
  changed(now: number): 'gone' | 'replaced' | undefined {
    if (now - this.checkedAt < NAME_CHECK_MS) return undefined;
    this.checkedAt = now;
    const current = mappingIdentity(this.name);
    if (current === this.identity) return undefined;
    return current === undefined ? 'gone' : 'replaced';
  }
}

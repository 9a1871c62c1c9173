import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { errorLine } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { AddressSpace } from '../space/address-space.js';
import { loadMappingFile, type LoadedMapping } from './load.js';

const DEBOUNCE_MS = 80;

/**
 * The active mapping files, hot-reloaded: a file that changes on disk is validated again and swapped in;
 * a broken edit keeps the previous version active and logs why. Watches the folders, not the files, so
 * editors that save by rename are seen too.
 */
export class MappingSet extends EventEmitter<{ change: [readonly LoadedMapping[]]; error: [Error] }> {
  private readonly active = new Map<string, LoadedMapping>();
  private readonly watchers: FSWatcher[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();

  private readonly files: string[];
  private readonly watched = new Set<string>();
  /** Loads and hot reloads that failed (the previous version stayed active). */
  failures = 0;

  constructor(files: readonly string[], private readonly space: AddressSpace, private readonly log: Logger) {
    super();
    this.files = [...new Set(files)];
  }

  get current(): readonly LoadedMapping[] {
    return this.files.map((f) => this.active.get(f)).filter((m): m is LoadedMapping => m !== undefined);
  }

  async start(): Promise<void> {
    for (const file of this.files) await this.reload(file, 'loaded');
    for (const file of this.files) this.watchFolderOf(file);
  }

  /** Adds a file (one MIDI learn just wrote) to the set, or reloads it when it is already there. */
  async ensure(file: string): Promise<boolean> {
    if (!this.files.includes(file)) this.files.push(file);
    this.watchFolderOf(file);
    return this.reload(file, 'reloaded');
  }

  private watchFolderOf(file: string): void {
    const dir = dirname(file);
    if (this.watched.has(dir)) return;
    this.watched.add(dir);
    try {
      const watcher = watch(dir, (_event, name) => {
        const changed = this.files.find((f) => dirname(f) === dir && basename(f) === name?.toString());
        if (changed) this.schedule(changed);
      });
      watcher.on('error', (e) => this.log.warn({ dir, err: e.message }, 'mapping folder watch failed; hot reload off for it'));
      this.watchers.push(watcher);
    } catch (e) {
      this.log.warn({ dir, err: errorLine(e) }, 'cannot watch mapping folder; hot reload off for it');
    }
  }

  private schedule(file: string): void {
    clearTimeout(this.timers.get(file));
    this.timers.set(file, setTimeout(() => void this.reload(file, 'reloaded'), DEBOUNCE_MS));
  }

  /** Loads one file again; on failure the previous version (if any) stays active. Never rejects. */
  async reload(file: string, verb = 'reloaded'): Promise<boolean> {
    let loaded: LoadedMapping;
    try {
      loaded = await loadMappingFile(file, this.space);
    } catch (e) {
      this.failures++;
      this.log.error(`${errorLine(e)} (${this.active.has(file) ? 'keeping the previous version' : 'not loaded'})`);
      this.report(e as Error);
      return false;
    }
    this.active.set(file, loaded);
    this.log.info({ file, midi: loaded.mapping.midi.length, osc: loaded.mapping.osc.length }, `mappings ${verb}`);
    this.report(undefined);
    return true;
  }

  /** Tells the listeners: the new set on success, the error otherwise; a listener that throws is logged, not thrown. */
  private report(error: Error | undefined): void {
    try {
      if (!error) this.emit('change', this.current);
      else if (this.listenerCount('error')) this.emit('error', error);
    } catch (e) {
      this.log.error({ err: errorLine(e) }, 'applying the mapping files failed');
    }
  }

  close(): void {
    for (const w of this.watchers) w.close();
    for (const t of this.timers.values()) clearTimeout(t);
  }
}

import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errorLine } from '../../errors.js';
import type { Logger } from '../../log.js';
import { ControlError } from '../space/values.js';
import { type Bank, type Preset, readBank, writeBank } from './bank.js';
import { SHIPPED_BANKS_DIR } from './config.js';
import type { PresetFields, PresetParams } from './fields.js';

/** The lowest number from 1 up that no preset of the bank has. */
function freeNumber(presets: readonly Preset[]): number {
  const used = new Set(presets.map((p) => p.number));
  let n = 1;
  while (used.has(n)) n++;
  return n;
}

const refuse = (message: string) => new ControlError('rejected', message);

/**
 * The bank in use, one file per bank in a folder (`<folder>/<bank>.json`). Every change is written to disk before
 * it counts, one write at a time; a write that fails leaves the bank as it was on disk and in memory.
 */
export class PresetLibrary {
  private queue: Promise<unknown> = Promise.resolve();
  /** Bank files refused at run time (the bank in use stayed). */
  failures = 0;

  private constructor(readonly folder: string, private bankName: string, private bank: Bank, private readonly fields: PresetFields, private readonly log: Logger) {}

  /** Opens the start-up bank: a broken file throws (SDL_ERR_PRESET naming the file and field), a missing one is empty. */
  static async open(folder: string, bankName: string, fields: PresetFields, log: Logger): Promise<PresetLibrary> {
    const bank = await readBank(join(folder, `${bankName}.json`), bankName, fields);
    return new PresetLibrary(folder, bankName, bank, fields, log);
  }

  get name(): string {
    return this.bankName;
  }

  get presets(): readonly Preset[] {
    return this.bank.presets;
  }

  get file(): string {
    return join(this.folder, `${this.bankName}.json`);
  }

  /** A preset by name, or by number when given a number. */
  find(key: string | number): Preset | undefined {
    return this.bank.presets.find((p) => (typeof key === 'number' ? p.number === key : p.name === key));
  }

  /** The bank names in the folder (its .json files). */
  async banks(): Promise<string[]> {
    const files = await readdir(this.folder).catch(() => [] as string[]);
    return files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
  }

  /**
   * Switches to another bank (or reads this one again after an edit on disk). A broken file is refused with one
   * log line and the bank in use stays; a bank that does not exist yet starts empty and is written by its first save.
   */
  switchTo(bankName: string): Promise<Bank> {
    return this.serial(async () => {
      let bank: Bank;
      try {
        bank = await readBank(join(this.folder, `${bankName}.json`), bankName, this.fields);
      } catch (e) {
        this.failures++;
        this.log.error(`${errorLine(e)} (keeping bank ${this.bankName})`);
        throw e;
      }
      [this.bankName, this.bank] = [bankName, bank];
      this.log.info({ bank: bankName, presets: bank.presets.length, file: this.file }, 'preset bank in use');
      return bank;
    });
  }

  /**
   * Saves `params` (values the parameter store holds, so valid) under `name`: a new preset gets `number` or the
   * lowest free one; an existing one is replaced, keeping its number unless one is given.
   */
  save(name: string, params: PresetParams, number?: number): Promise<Preset> {
    return this.serial(async () => {
      const old = this.find(name);
      const taken = number === undefined ? undefined : this.bank.presets.find((p) => p.number === number && p !== old);
      if (taken) throw refuse(`number ${number} is preset "${taken.name}" (rename or delete it first)`);
      const preset: Preset = { name, number: number ?? old?.number ?? freeNumber(this.bank.presets), params };
      const presets = old ? this.bank.presets.map((p) => (p === old ? preset : p)) : [...this.bank.presets, preset];
      await this.commit({ ...this.bank, presets });
      return preset;
    });
  }

  rename(from: string, to: string): Promise<Preset> {
    return this.serial(async () => {
      const old = this.existing(from);
      if (from !== to && this.find(to)) throw refuse(`a preset "${to}" exists already`);
      const preset = { ...old, name: to };
      await this.commit({ ...this.bank, presets: this.bank.presets.map((p) => (p === old ? preset : p)) });
      return preset;
    });
  }

  delete(name: string): Promise<Preset> {
    return this.serial(async () => {
      const old = this.existing(name);
      await this.commit({ ...this.bank, presets: this.bank.presets.filter((p) => p !== old) });
      return old;
    });
  }

  private existing(name: string): Preset {
    const preset = this.find(name);
    if (!preset) throw refuse(`no preset "${name}" in bank ${this.bankName}`);
    return preset;
  }

  private async commit(bank: Bank): Promise<void> {
    if (resolve(this.folder) === resolve(SHIPPED_BANKS_DIR)) {
      throw refuse(`the shipped banks are read-only: set presets.folder to your show's folder (copy ${this.file} there to start from it)`);
    }
    try {
      await writeBank(this.file, bank);
    } catch (e) {
      throw refuse(`cannot write ${this.file}: ${(e as NodeJS.ErrnoException).code ?? errorLine(e)} (the bank is unchanged)`);
    }
    this.bank = bank;
  }

  /** Runs bank changes one after another, so two saves never interleave their writes. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

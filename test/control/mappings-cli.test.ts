import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { noAlsaSequencer } from '../helpers/requires.js';

const SHIPPED = resolve('mappings');

interface ShippedMapping {
  name: string;
  description: string;
  midi?: { type: string; channel?: number; number?: number; param: string; command?: string; value?: unknown }[];
  osc?: { address: string; param?: string; ignore?: boolean; value?: unknown }[];
}

const shipped = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as ShippedMapping;

/** The lines `mappings list` must print for a file, written from the JSON itself. */
/** What pressing a control with a fixed value does, as the listing says it: `prompts/select` = 2 picks prompt entry 2. */
function effect(b: { param?: string; value?: unknown }): string {
  if (b.value === undefined) return '';
  const list = /^(prompt|seed)s\/select$/.exec(b.param ?? '')?.[1];
  return ` = ${JSON.stringify(b.value)}${list ? ` (${list} entry ${String(b.value)} at full weight, the others silent)` : ''}`;
}

function expectedListing(file: string, m: ShippedMapping): string {
  return [
    `  ${m.name} (${file})`,
    `    ${m.description}`,
    ...(m.midi ?? []).map((b) => `    midi ${b.type} ch${b.channel ?? 1}${b.number === undefined ? '' : ` #${b.number}`} -> ${b.command ?? b.param}${effect(b)}`),
    ...(m.osc ?? []).map((b) => `    osc  ${b.address} -> ${b.ignore ? '(ignored)' : `${b.param}${effect(b)}`}`),
  ].join('\n');
}

describe('sdlive mappings (the real CLI)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sdlive-mappings-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('check passes the shipped files (by name) and says what each binds', async () => {
    const r = await runCli(['mappings', 'check', 'korg-nanokontrol2', 'touchdesigner']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const expected = await Promise.all(['korg-nanokontrol2', 'touchdesigner'].map(async (name) => {
      const file = join(SHIPPED, `${name}.json`);
      const m = await shipped(file);
      return `ok  ${file}: ${m.name} (${m.midi?.length ?? 0} MIDI, ${m.osc?.length ?? 0} OSC bindings)`;
    }));
    assert.deepEqual(r.stdout.trim().split('\n'), expected);
  });

  it('check fails a broken file with exit 2 and one line naming the file, the binding and the problem', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, JSON.stringify({ name: 'broken', midi: [{ type: 'cc', channel: 1, number: 7, param: 'delta' }, { type: 'cc', channel: 1, number: 8, param: 'delta_typo' }] }));
    const r = await runCli(['mappings', 'check', 'akai-midimix', broken]);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /^ok {2}.*akai-midimix\.json: Akai MIDImix/, 'the good file is still checked');
    assert.deepEqual(r.stderr.trim().split('\n'), [`sdlive: SDL_ERR_MAPPING: ${broken}: midi[1].param: no address /sdlive/delta_typo (see \`sdlive mappings list --addresses\`)`]);
  });

  it('list prints every shipped file with its description and every binding', async () => {
    const r = await runCli(['mappings', 'list']);
    assert.equal(r.code, 0, r.stderr);
    const files = (await readdir(SHIPPED)).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 6);
    for (const f of files) {
      const file = join(SHIPPED, f);
      assert.ok(r.stdout.includes(`${expectedListing(file, await shipped(file))}\n`), `${f} listed with all its bindings`);
    }
    assert.doesNotMatch(r.stdout, /^! /m, 'no shipped file fails to load');
  });

  it('learn without a usable MIDI input fails at once with one line', async () => {
    const r = await runCli(['mappings', 'learn', 'delta', '--input', 'sdlive-test-no-such-port', '--timeout', '1', '--file', join(dir, 'learned.json')], { timeoutMs: 60_000 });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, noAlsaSequencer
      ? /^sdlive: SDL_ERR_MIDI_UNAVAILABLE: no ALSA sequencer \(\/dev\/snd\/seq\): load snd-seq/
      : /^sdlive: SDL_ERR_MIDI_UNAVAILABLE: (no MIDI subsystem|no MIDI input matching "sdlive-test-no-such-port")/);
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configFromFlags } from '../../src/cli/commands/run.js';
import { runCli } from '../helpers/cli.js';

/** A show folder away from the working directory, with a config that names its files relatively. */
function showFolder(config: Record<string, unknown>): { dir: string; file: string } {
  const dir = join(mkdtempSync(join(tmpdir(), 'sdlive-show-')), 'show');
  mkdirSync(join(dir, 'mappings'), { recursive: true });
  writeFileSync(join(dir, 'mappings', 'desk.json'), JSON.stringify({ name: 'desk', midi: [], osc: [{ address: '/fader/1', param: 'delta' }] }));
  const file = join(dir, 'show.json');
  writeFileSync(file, JSON.stringify(config));
  return { dir, file };
}

test('relative paths in a config file are relative to its folder: a raw: output (given as one string) and a mapping file', async () => {
  const { dir, file } = showFolder({
    pipeline: 'passthrough', params: { width: 256, height: 256 }, frames: 3, outputs: 'raw:take.rgba', mappings: ['mappings/desk.json', 'akai-midimix'],
    midi: { enabled: false }, osc: { port: 0, zeroconf: false }, http: { port: 0 },
  });
  const run = await runCli(['run', '--config', file, '--log-level', 'warn'], { timeoutMs: 120_000 });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(statSync(join(dir, 'take.rgba')).size > 0, 'the recording is next to the config file');
  const list = await runCli(['mappings', 'list', '--config', file]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`^\\* desk \\(${join(dir, 'mappings', 'desk.json').replaceAll('/', '\\/')}\\)$`, 'm'));
  assert.match(list.stdout, /^\* Akai MIDImix \(.*mappings\/akai-midimix\.json\)$/m, 'a shipped mapping name stays a name');
});

test('a model folder and midi.learn_file are taken from the config folder; model names and flags are not', async () => {
  const { dir, file } = showFolder({ params: { model: 'builtin:tiny' }, midi: { learn_file: 'learned.json' }, input: 'file:clips/intro.mp4?loop=1' });
  const config = await configFromFlags({ config: file });
  assert.equal(config.midi.learn_file, join(dir, 'learned.json'));
  assert.equal(config.input, `file:${join(dir, 'clips/intro.mp4')}?loop=1`);
  assert.equal(config.params.model, 'builtin:tiny');
  const flags = await configFromFlags({ config: file, input: 'file:here.mp4' });
  assert.equal(flags.input, 'file:here.mp4', 'a flag is relative to the working directory, as typed');
  const folder = showFolder({ params: { model: 'my-export' } });
  mkdirSync(join(folder.dir, 'my-export'));
  assert.equal((await configFromFlags({ config: folder.file })).params.model, join(folder.dir, 'my-export'));
});

test('a JSON syntax error in a config file names the line and column', async () => {
  const { file } = showFolder({});
  writeFileSync(file, '{\n  "pipeline": "passthrough"\n  "frames": 3\n}\n');
  const r = await runCli(['run', '--config', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^sdlive: SDL_ERR_CONFIG_READ: config file .*show\.json is not a JSON object: line 3, column 3: Expected ',' or '}'/m);
});

import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { readConfigFile } from '../../config.js';
import { AddressSpace } from '../../control/space/address-space.js';
import { loadMappingFile, mappingProblems, readMappingText, resolveMappingPath, SHIPPED_MAPPINGS_DIR } from '../../control/mappings/load.js';
import { rtMidiBackend } from '../../control/midi/backend.js';
import { describeBinding, MidiLearn } from '../../control/midi/learn.js';
import { parseMidi } from '../../control/midi/messages.js';
import { errorLine, SdliveError } from '../../errors.js';
import { pipelineByName } from '../../pipelines/registry.js';

const spaceOf = (pipeline: string) => new AddressSpace(pipelineByName(pipeline).schema);
const out = (line: string) => process.stdout.write(`${line}\n`);

async function check(files: string[], opts: { pipeline: string }): Promise<void> {
  const space = spaceOf(opts.pipeline);
  let failed = 0;
  for (const name of files) {
    const file = resolveMappingPath(name);
    try {
      const { mapping, problems } = mappingProblems(file, await readMappingText(file), space);
      if (problems.length) throw new AggregateError(problems);
      out(`ok  ${file}: ${mapping!.name} (${mapping!.midi.length} MIDI, ${mapping!.osc.length} OSC bindings)`);
    } catch (e) {
      failed++;
      for (const problem of e instanceof AggregateError ? e.errors : [e]) process.stderr.write(`sdlive: ${errorLine(problem)}\n`);
    }
  }
  if (failed) process.exitCode = 2;
}

/** " = 2 (prompt entry 2 at full weight, the others silent)": what pressing the control does. */
function effectOf(param: string | undefined, value: unknown): string {
  if (value === undefined) return '';
  const select = /^(\w+?)s?\/select$/.exec(param ?? '');
  return ` = ${JSON.stringify(value)}${select ? ` (${select[1]} entry ${String(value)} at full weight, the others silent)` : ''}`;
}

async function list(opts: { config?: string; pipeline: string; addresses?: boolean }): Promise<void> {
  const space = spaceOf(opts.pipeline);
  if (opts.addresses) {
    for (const a of space.addresses) {
      const range = a.values ? a.values.join('|') : a.min !== undefined ? `${a.min}..${a.max}` : '';
      out(`${a.path.padEnd(40)} ${(a.list ? `${a.type}...` : a.type).padEnd(5)} ${range}`);
    }
    return;
  }
  const configured = opts.config ? ((await readConfigFile(opts.config)).mappings as string[] | undefined) ?? [] : [];
  const shipped = readdirSync(SHIPPED_MAPPINGS_DIR).filter((f) => f.endsWith('.json')).map((f) => join(SHIPPED_MAPPINGS_DIR, f));
  for (const file of [...configured.map(resolveMappingPath), ...shipped]) {
    try {
      const { mapping } = await loadMappingFile(file, space);
      const active = configured.some((c) => resolveMappingPath(c) === file) ? '*' : ' ';
      out(`${active} ${mapping.name} (${file})\n    ${mapping.description}`);
      for (const b of mapping.midi) out(`    midi ${describeBinding(b)}${effectOf(b.param, 'value' in b ? b.value : undefined)}`);
      for (const b of mapping.osc) out(`    osc  ${b.address} -> ${b.ignore ? '(ignored)' : `${b.param}${effectOf(b.param, b.value)}`}`);
    } catch (e) {
      out(`! ${file}: ${errorLine(e)}`);
    }
  }
}

async function learn(param: string, opts: { file: string; pipeline: string; timeout: string; input?: string }): Promise<void> {
  const space = spaceOf(opts.pipeline);
  const backend = await rtMidiBackend();
  const names = backend.inputs();
  const indices = names.map((n, i) => ({ n, i })).filter(({ n }) => !opts.input || n.toLowerCase().includes(opts.input.toLowerCase()));
  if (indices.length === 0) throw new SdliveError('SDL_ERR_MIDI_UNAVAILABLE', `no MIDI input${opts.input ? ` matching "${opts.input}"` : ''} (found: ${names.join(', ') || 'none'})`, 'midi.inputs');
  const file = resolve(opts.file);
  const session = new MidiLearn(space, () => file);
  const ports = indices.map(({ i }) => backend.openInput(i, (bytes) => {
    const e = parseMidi(bytes);
    if (e) session.observe(e);
  }));
  try {
    const done = new Promise<string>((ok, fail) => {
      session.once('learned', (b) => ok(describeBinding(b)));
      session.once('failed', fail);
      session.on('armed', (target) => target === '' && fail(new SdliveError('SDL_ERR_MIDI_UNAVAILABLE', `no control moved within ${opts.timeout} s`, 'midi')));
    });
    session.start(param, Number(opts.timeout) * 1000);
    out(`move a control on ${indices.map(({ n }) => n).join(', ')} to bind it to ${space.root}/${session.target} ...`);
    out(`learned ${await done} -> ${file}`);
  } finally {
    ports.forEach((p) => p.close());
  }
}

export function registerMappings(program: Command): void {
  const cmd = program.command('mappings').description('check, list and learn MIDI/OSC mapping files (mappings/*.json)');
  cmd.command('check')
    .description('validate mapping files (names of shipped ones work too): every problem of each file, then exit 2')
    .argument('<files...>')
    .option('--pipeline <name>', 'pipeline whose parameters the targets must exist in', 'streamdiffusion')
    .action(check);
  cmd.command('list')
    .description('shipped and configured (*) mapping files with their bindings, or every OSC address')
    .option('-c, --config <file>', 'config file whose `mappings` are marked active')
    .option('--pipeline <name>', 'pipeline', 'streamdiffusion')
    .option('--addresses', 'print every address a mapping (or OSC) can target, with type and range')
    .action(list);
  cmd.command('learn')
    .description('move a MIDI control to bind it to a parameter address; the binding is written to the file')
    .argument('<param>', 'address under /sdlive, e.g. delta, prompts/1/weight, paused')
    .option('-f, --file <file>', 'mapping file to write', 'mappings/learned.json')
    .option('--input <name>', 'only this MIDI input (name substring)')
    .option('--timeout <s>', 'seconds to wait for a control', '30')
    .option('--pipeline <name>', 'pipeline', 'streamdiffusion')
    .action(learn);
}

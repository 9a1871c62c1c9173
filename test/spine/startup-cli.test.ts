import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Lines inside the README's fenced code blocks. */
function codeLines(markdown: string): string[] {
  let inCode = false;
  return markdown.split('\n').filter((line) => {
    if (line.startsWith('```')) inCode = !inCode;
    return inCode && !line.startsWith('```');
  });
}

/** The subcommand names `sdlive --help` lists. */
async function helpCommands(args: string[] = []): Promise<Set<string>> {
  const r = await runCli([...args, '--help']);
  assert.equal(r.code, 0, r.stderr);
  return new Set([...r.stdout.split('Commands:')[1]!.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!));
}

test('every sdlive command in the README code blocks is typed as `npx sdlive`, and names a command the CLI has', async () => {
  const invocations = codeLines(README).flatMap((line) => [...line.matchAll(/(\S*)\s*\bsdlive ([a-z][\w-]*)(?: ([a-z][\w-]*))?/g)]);
  assert.ok(invocations.length >= 8, 'the README shows the commands');
  const top = await helpCommands();
  const subs = new Map<string, Set<string>>();
  for (const [whole, before, command, sub] of invocations) {
    assert.equal(before, 'npx', `"${whole.trim()}" runs as typed after npm ci only through npx`);
    assert.ok(top.has(command!), `sdlive ${command} is a command (sdlive --help: ${[...top].join(', ')})`);
    if (!subs.has(command!)) subs.set(command!, (await runCli([command!, '--help'])).stdout.includes('Commands:') ? await helpCommands([command!]) : new Set());
    const known = subs.get(command!)!;
    if (known.size && sub) assert.ok(known.has(sub), `sdlive ${command} ${sub} is a subcommand`);
  }
  assert.match(README, /npm install -g \.|npm link/, 'the README says how to get a bare `sdlive` on the PATH');
});

test('sdlive schema: one aligned row per parameter with its values, unit, step and meaning', async () => {
  const r = await runCli(['schema']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^parameter +applies +values +default +meaning$/);
  const column = (name: string) => lines[0]!.indexOf(name);
  const width = lines.find((l) => l.startsWith('width '))!;
  assert.equal(width.slice(column('values')).split('  ')[0], '256..1024 step 64 px');
  assert.match(width.slice(column('meaning')), /^Generation width/);
  assert.ok(lines.slice(1).every((l) => /^(load|runtime) /.test(l.slice(column('applies')))), 'the columns line up');
});

test('sdlive schedule --steps 4 alone works, on the last index of the 4-step schedule, and says so; the columns are explained', async () => {
  const r = await runCli(['schedule', '--steps', '4']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /using \[3\], the last index of a 4-step schedule/);
  assert.match(r.stdout, /^ {2}timesteps +the UNet timestep/m);
  assert.match(r.stdout, /^3 +279 /m);
  const json = await runCli(['schedule', '--steps', '4', '--json']);
  assert.deepEqual((JSON.parse(json.stdout) as { timesteps: number[] }).timesteps, [279]);
});

test('sdlive mappings check reports every problem of a file, each with did-you-mean', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sdlive-map-')), 'bad.json');
  writeFileSync(file, JSON.stringify({ name: 'bad', midi: [{ type: 'cc', channel: 1, number: 3, param: 'detla' }, { type: 'cc', channel: 1, number: 4, param: 'guidanse_scale' }], osc: [{ address: '/a', param: 'seeed' }] }));
  const r = await runCli(['mappings', 'check', file]);
  assert.equal(r.code, 2);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 3, r.stderr);
  assert.match(lines[0]!, /midi\[0\]\.param: no address \/sdlive\/detla \(did you mean "delta"\?\)/);
  assert.match(lines[1]!, /midi\[1\]\.param: .*did you mean "guidance_scale"/);
  assert.match(lines[2]!, /osc\[0\]\.param: .*did you mean "seed"/);
  writeFileSync(file, JSON.stringify({ name: 'bad', midi: [{ type: 'note', channel: 1, number: 3, parma: 'paused', button: 'toggle' }], osc: [{ address: '/a', param: 'delta', rnage: [0, 1] }] }));
  const keys = await runCli(['mappings', 'check', file]);
  assert.match(keys.stderr, /midi\[0\]: Unrecognized key: "parma" \(did you mean "param"\?\)/);
  assert.match(keys.stderr, /osc\[0\]: Unrecognized key: "rnage" \(did you mean "range"\?\)/);
});

test('sdlive mappings list says which prompt entry a select button picks', async () => {
  const r = await runCli(['mappings', 'list']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /midi note ch1 #1 -> prompts\/select = 0 \(prompt entry 0 at full weight, the others silent\)/);
});

test('sdlive bench on the tiny model warns that its fps says nothing about a real model', async () => {
  const r = await runCli(['bench', '--only', 'img2img-t1', '--frames', '2', '--warmup', '1', '--set', 'width=256', '--set', 'height=256'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^note: builtin:tiny is a tiny stand-in .*says nothing about a real model's/m);
});

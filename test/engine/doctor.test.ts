import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

test('sdlive doctor says what this machine can do, with a fix for what is missing, and exits 0', async () => {
  const r = await runCli(['doctor', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const findings = JSON.parse(r.stdout) as { status: string; what: string; detail: string; fix?: string }[];
  const byWhat = new Map(findings.map((f) => [f.what, f]));
  assert.equal(byWhat.get('execution provider cpu')?.status, 'ok', 'a real CPU session ran');
  for (const what of ['ffmpeg', 'MIDI', 'Spout (Windows)', 'Syphon (macOS)', 'shared memory', 'port 9000/udp', 'port 9001/tcp']) assert.ok(byWhat.has(what), what);
  for (const f of findings.filter((x) => x.what.startsWith('execution provider') && x.status === 'missing')) assert.ok(f.fix && f.detail, `${f.what} says why and how to fix`);
  const text = await runCli(['doctor']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^ok {2}execution provider cpu +creates and runs a session$/m);
});

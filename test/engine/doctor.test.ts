import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

test('sdlive doctor checks the ports of the show (--config, --osc-port) and says how to free a taken one', async () => {
  const tcp = createServer();
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const [httpPort, oscPort] = [(tcp.address() as AddressInfo).port, udp.address().port];
  const dir = await mkdtemp(join(tmpdir(), 'sdlive-doctor-'));
  try {
    const config = join(dir, 'show.json');
    await writeFile(config, JSON.stringify({ http: { port: httpPort }, osc: { host: '127.0.0.1' } }));
    const r = await runCli(['doctor', '--config', config, '--osc-port', String(oscPort)]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const at = (port: string) => lines.findIndex((l) => l.includes(`port ${port}`));
    assert.match(lines[at(`${httpPort}/tcp`)]!, /^no {2}port \d+\/tcp +in use \(HTTP\/OSCQuery\/web page\)$/);
    assert.match(lines[at(`${httpPort}/tcp`) + 1]!, /^ +fix: stop the other program or choose another port \(--http-port or http\.port\)$/);
    assert.match(lines[at(`${oscPort}/udp`)]!, /^no {2}port \d+\/udp +in use \(OSC\)$/);
    assert.match(lines[at(`${oscPort}/udp`) + 1]!, /fix: .*\(--osc-port or osc\.port\)$/);
    assert.equal(at('9000/udp'), -1, 'the default ports are not the ones checked');
    assert.equal(at('9001/tcp'), -1);
  } finally {
    tcp.close();
    udp.close();
    await rm(dir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import type { RunningApp } from '../../src/app.js';
import { CommandRegistry } from '../../src/control/commands/registry.js';
import { engineCommandsPlugin } from '../../src/engine/commands-plugin.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import type { App } from '../../src/plugin.js';
import { runCli } from '../helpers/cli.js';
import { startOscApp, UdpPeer, waitFor } from './helpers.js';

describe('commands: one registration, on OSC, OSCQuery, HTTP and the CLI', () => {
  let app: RunningApp;
  let peer: UdpPeer;
  let osc: number;
  const calls: { args: readonly unknown[]; origin: string }[] = [];
  let removeEcho: () => void;

  let close: () => Promise<void>;
  before(async () => {
    ({ app, peer, port: osc, close } = await startOscApp());
    // Registered after start-up, as a plugin that comes later would: every front end must follow.
    removeEcho = app.commands.register({
      name: 'test/echo', description: 'echo', types: 'si',
      args: z.tuple([z.string(), z.int().min(0).max(9).optional()]),
      run: (args, origin) => {
        calls.push({ args, origin });
        if (args[0] === 'refuse') throw new Error('refused on purpose');
        return { got: args };
      },
      read: () => [calls.length],
    });
  });
  after(() => close());

  const post = (name: string, body: unknown) => fetch(`${app.http.url}/api/commands/${name}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });

  it('runs over OSC with its arguments validated; a bad argument is an error to the sender, not a call', async () => {
    await peer.send(osc, '/sdlive/test/echo', 'a', 3);
    await waitFor(() => calls.length === 1, 'the OSC call');
    assert.deepEqual(calls[0], { args: ['a', 3], origin: 'osc' });
    await peer.send(osc, '/sdlive/test/echo', 'a', 12);
    const error = await peer.next('/sdlive/error');
    assert.match(String(error.args.join(' ')), /test\/echo/);
    assert.equal(calls.length, 1);
  });

  it('answers ? with its value', async () => {
    await peer.send(osc, '/sdlive/test/echo', '?');
    const answer = await peer.next('/sdlive/test/echo');
    assert.deepEqual(answer.args, [calls.length]);
  });

  it('runs over HTTP: 200 with the result, 400 for bad arguments, 404 for an unknown name, 409 when the command refuses', async () => {
    const ok = await post('test/echo', { args: ['b'] });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { result: { got: ['b'] } });
    assert.equal((await post('test/echo', { args: [5] })).status, 400);
    assert.equal((await post('no/such', [])).status, 404);
    const refused = await post('test/echo', ['refuse']);
    assert.equal(refused.status, 409);
    assert.match(((await refused.json()) as { error: string }).error, /refused on purpose/);
  });

  it('lists every command, and OSCQuery shows it as a write node with its types', async () => {
    const listed = (await (await fetch(`${app.http.url}/api/commands`)).json()) as { commands: { name: string; types: string }[] };
    const names = listed.commands.map((c) => c.name);
    assert.deepEqual(names, app.commands.list().map((c) => c.name), 'every registered command, in order');
    assert.ok(names.includes('step') && names.includes('test/echo'), names.join(', '));
    const node = (await (await fetch(`${app.http.url}/sdlive/test/echo`)).json()) as { TYPE: string; ACCESS: number };
    assert.equal(node.TYPE, 'si');
    assert.equal(node.ACCESS, 3);
  });

  it('runs from the CLI, JSON arguments as JSON', async () => {
    const before = calls.length;
    const res = await runCli(['command', 'test/echo', 'c', '4', '--url', app.http.url]);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(calls[before], { args: ['c', 4], origin: 'http' });
    assert.deepEqual(JSON.parse(res.stdout), { got: ['c', 4] });
    const refused = await runCli(['command', 'test/echo', 'refuse', '--url', app.http.url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused on purpose/);
  });

  it('step: while paused, exactly one more frame per call', async () => {
    await fetch(`${app.http.url}/api/params`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paused: true }) });
    await waitFor(() => app.engine.metrics().state === 'paused', 'paused');
    // A frame already in flight when pause came may still land: wait until the count holds still.
    let frames = -1;
    while (frames !== app.engine.frameCount) {
      frames = app.engine.frameCount;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal((await post('step', [])).status, 200);
    await waitFor(() => app.engine.frameCount === frames + 1, 'one stepped frame');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(app.engine.frameCount, frames + 1);
  });

  it('is gone from OSC and HTTP once removed', async () => {
    removeEcho();
    assert.equal((await post('test/echo', ['x'])).status, 404);
    await peer.send(osc, '/sdlive/test/echo', 'x');
    const error = await peer.next('/sdlive/error');
    assert.match(String(error.args.join(' ')), /unknown|no such/);
  });
});

describe('the engine commands', () => {
  it('seed/randomize sets a new seed within the schema\'s range, replacing a seed list, and says which', async () => {
    const store = new ParameterStore(StreamDiffusionParams, { seed: [{ seed: 1, weight: 1 }, { seed: 2, weight: 1 }] });
    const commands = new CommandRegistry();
    await engineCommandsPlugin.register({ store, commands, engine: {} } as unknown as App);
    const seeds = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const { seed } = (await commands.run('seed/randomize', [], 'osc')) as { seed: number };
      assert.equal(store.snapshot.seed, seed);
      assert.ok(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31, String(seed));
      seeds.add(seed);
    }
    assert.equal(seeds.size, 3);
  });

  it('seed/randomize exists only where the pipeline has a seed', async () => {
    const commands = new CommandRegistry();
    await engineCommandsPlugin.register({ store: new ParameterStore(z.object({ paused: z.boolean().default(false) }), {}), commands, engine: {} } as unknown as App);
    assert.deepEqual(commands.list().map((c) => c.name), ['step']);
  });
});

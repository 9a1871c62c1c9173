import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { controlSurfaceOf } from '../../src/control/surface.js';
import { frameBytes } from '../../src/io/frame.js';
import { ShmRingReader } from '../../src/io/shm/ring.js';
import { captureLog } from '../helpers/log-lines.js';
import { requiresFfmpeg } from '../helpers/requires.js';
import { UdpPeer, waitFor } from '../control/helpers.js';

const SIZE = 256;
const BYTES = frameBytes(SIZE, SIZE);

const decodedFrames = (file: string): number =>
  Number(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]).toString().trim());

/** Copies of the fresh frames the engine emitted (a held repeat does not move frameCount). */
function freshFrames(app: RunningApp): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let seen = app.engine.frameCount;
  app.engine.on('frame', (frame) => {
    if (app.engine.frameCount === seen) return;
    seen = app.engine.frameCount;
    frames.push(frame.data.slice());
  });
  return frames;
}

/** The fresh frames emitted while the output `spec` was in the engine's loop, from the moment it joined to the moment it left. */
function framesWhileIn(app: RunningApp, spec: (s: string) => boolean): { frames: Uint8Array[]; left: Promise<void> } {
  const frames: Uint8Array[] = [];
  let inLoop = false;
  let seen = app.engine.frameCount;
  const { outputs } = app.engine;
  outputs.on('added', (sink) => void (spec(sink.spec) && (inLoop = true)));
  const left = new Promise<void>((resolve) => outputs.on('removed', (sink) => spec(sink.spec) && (inLoop = false, resolve())));
  app.engine.on('frame', (frame) => {
    if (app.engine.frameCount === seen) return;
    seen = app.engine.frameCount;
    if (inLoop) frames.push(frame.data.slice());
  });
  return { frames, left };
}

describe('outputs and recordings added and removed while running', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdlive-runtime-outputs-'));
  const shmName = `sdlive-rt-${process.pid}`;
  const { log, lines } = captureLog();
  let app: RunningApp;
  let peer: UdpPeer;
  let osc: number;
  let base: Uint8Array[];

  before(async () => {
    app = await startApp(resolveConfig({
      pipeline: 'passthrough', params: { width: SIZE, height: SIZE }, input: 'test:bars', outputs: [`raw:${join(dir, 'base.rgba')}`],
      http: { port: 0 }, midi: { enabled: false }, recordings: { folder: join(dir, 'takes') },
      osc: { port: 0, host: '127.0.0.1', zeroconf: false, reply_to_sender: true },
    }), log);
    base = freshFrames(app);
    peer = await UdpPeer.open();
    osc = controlSurfaceOf(app)!.osc.port;
  });
  after(async () => {
    await app.stop();
    peer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (name: string, args: unknown[]) => {
    const res = await fetch(`${app.http.url}/api/commands/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ args }) });
    return { status: res.status, body: (await res.json()) as { result?: unknown; error?: string } };
  };
  const removedLogged = (spec: string) => lines.some((l) => l.includes('"output removed"') && l.includes(JSON.stringify(spec).slice(1, -1)));
  const recordingAnswer = async () => {
    const before = peer.received.length;
    await peer.send(osc, '/sdlive/record/start', '?');
    await waitFor(() => peer.received.slice(before).some((m) => m.address === '/sdlive/record/start'), 'the record/start answer');
    return peer.received.slice(before).find((m) => m.address === '/sdlive/record/start')!.args[0];
  };

  it('a raw recording started and stopped over OSC holds exactly the frames emitted in between, bit for bit', { timeout: 60_000 }, async () => {
    const file = join(dir, 'takes', 'take.rgba');
    const window = framesWhileIn(app, (s) => s === `raw:${file}`);
    await peer.send(osc, '/sdlive/record/start', 'take.rgba');
    await waitFor(() => window.frames.length >= 20, '20 frames into the recording', 30_000);
    assert.equal(await recordingAnswer(), file);
    await peer.send(osc, '/sdlive/record/stop');
    await window.left;
    await waitFor(() => removedLogged(`raw:${file}`), 'the recording closed', 30_000);
    assert.equal(await recordingAnswer(), '');
    const recorded = readFileSync(file);
    assert.equal(recorded.length / BYTES, window.frames.length);
    window.frames.forEach((frame, i) => assert.ok(Buffer.from(frame).equals(recorded.subarray(i * BYTES, (i + 1) * BYTES)), `frame ${i} differs`));
  });

  it('a video recording (default name, .mkv) over OSC holds as many frames as were emitted in between (ffprobe)', { skip: requiresFfmpeg(), timeout: 60_000 }, async () => {
    const window = framesWhileIn(app, (s) => s.startsWith(`file:${join(dir, 'takes', 'sdlive-')}`));
    await peer.send(osc, '/sdlive/record/start');
    await waitFor(() => window.frames.length >= 20, '20 frames into the recording', 30_000);
    const file = String(await recordingAnswer());
    assert.match(file, /sdlive-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.mkv$/);
    await peer.send(osc, '/sdlive/record/stop');
    await window.left;
    await waitFor(() => removedLogged(`file:${file}`), 'the recording closed', 30_000);
    assert.equal(decodedFrames(file), window.frames.length);
  });

  it('a recording never replaces a file: the same name again records into name-1', { timeout: 60_000 }, async () => {
    const first = join(dir, 'takes', 'again.rgba');
    for (const expected of [first, join(dir, 'takes', 'again-1.rgba')]) {
      const started = await post('record/start', ['again.rgba']);
      assert.equal(started.status, 200, started.body.error);
      assert.equal((started.body.result as { file: string }).file, expected);
      await waitFor(() => app.engine.outputs.stats().some((s) => s.spec === `raw:${expected}` && s.frames >= 3), 'frames recorded');
      const stopped = await post('record/stop', []);
      assert.equal(stopped.status, 200, stopped.body.error);
      assert.equal(statSync(expected).size, (stopped.body.result as { frames: number }).frames * BYTES);
    }
  });

  it('an shm output added over HTTP and removed over OSC: metrics follow, it carries the engine\'s frames, the other output loses none', { timeout: 60_000 }, async () => {
    const spec = `shm:${shmName}`;
    const added = await post('output/add', [spec]);
    assert.equal(added.status, 200, added.body.error);
    assert.deepEqual(app.engine.metrics().io.sinks.map((s) => s.spec), [`raw:${join(dir, 'base.rgba')}`, spec]);
    const reader = ShmRingReader.open(shmName);
    let frame: Uint8Array | undefined;
    await waitFor(() => {
      const got = reader.read();
      frame = got.kind === 'frame' ? got.frame.data : undefined;
      return frame !== undefined;
    }, 'a frame in the ring');
    assert.ok(base.some((b) => Buffer.from(b).equals(frame!)), 'the ring holds one of the engine\'s frames');
    reader.close();
    const index = app.engine.metrics().io.sinks.findIndex((s) => s.spec === spec);
    await peer.send(osc, '/sdlive/output/remove', index);
    await waitFor(() => removedLogged(spec), 'the shm output removed');
    assert.deepEqual(app.engine.metrics().io.sinks.map((s) => s.spec), [`raw:${join(dir, 'base.rgba')}`]);
    const before = app.engine.frameCount;
    await waitFor(() => app.engine.frameCount >= before + 5, 'frames after the removal');
  });

  it('a bad spec is refused with the reason, one log line each, and the show goes on', async () => {
    const before = app.engine.frameCount;
    const unknown = await post('output/add', ['nope:x']);
    assert.equal(unknown.status, 409);
    assert.match(unknown.body.error!, /SDL_ERR_TRANSPORT_SPEC.*no output transport "nope"/);
    const file = await post('output/add', [`file:${join(dir, 'sneaky.mp4')}`]);
    assert.equal(file.status, 403);
    assert.match(file.body.error!, /may not write files.*record\/start/);
    const tee = await post('output/add', ['ffmpeg:udp://127.0.0.1:9|/tmp/x.ts?format=tee']);
    assert.equal(tee.status, 403);
    const linesBefore = lines.length;
    const badName = await post('output/add', ['shm:bad name']);
    assert.equal(badName.status, 409);
    assert.match(badName.body.error!, /shared memory name "bad name"/);
    assert.equal(lines.slice(linesBefore).filter((l) => l.includes('output not added')).length, 1);
    assert.equal((await post('record/start', ['../escape.mkv'])).status, 400);
    assert.equal((await post('record/start', ['take.exe'])).status, 400);
    assert.equal((await post('record/stop', [])).status, 409);
    assert.equal((await post('output/remove', ['shm:never-added'])).status, 409);
    assert.deepEqual(app.engine.metrics().io.sinks.map((s) => s.spec), [`raw:${join(dir, 'base.rgba')}`]);
    await waitFor(() => app.engine.frameCount >= before + 5, 'frames after the refusals');
  });

  it('the output that stayed got every fresh frame of the run, in order (removed over HTTP, it flushes first)', { timeout: 60_000 }, async () => {
    const spec = `raw:${join(dir, 'base.rgba')}`;
    await waitFor(() => base.length > 50, 'a run of more than 50 frames', 60_000);
    let freshAtRemoval = -1;
    app.engine.outputs.once('removed', () => (freshAtRemoval = app.engine.frameCount));
    const removed = await post('output/remove', [spec]);
    assert.equal(removed.status, 200, removed.body.error);
    const recorded = readFileSync(join(dir, 'base.rgba'));
    assert.equal(recorded.length / BYTES, freshAtRemoval);
    assert.equal((removed.body.result as { frames: number; drops: number }).drops, 0);
    // `base` began once the app was up; the file holds those frames at its end, in order.
    const offset = freshAtRemoval - base.length;
    assert.ok(offset >= 0);
    base.slice(0, freshAtRemoval - offset).forEach((frame, i) => assert.ok(Buffer.from(frame).equals(recorded.subarray((offset + i) * BYTES, (offset + i + 1) * BYTES)), `frame ${offset + i} differs`));
  });
});

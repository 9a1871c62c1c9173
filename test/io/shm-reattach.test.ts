import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { createFrame } from '../../src/io/frame.js';
import { openSource } from '../../src/io/registry.js';
import { mappingSize, unlinkMapping } from '../../src/io/shm/mapping.js';
import { ShmRingWriter } from '../../src/io/shm/ring.js';
import type { FrameSource } from '../../src/io/transport.js';
import { waitFor } from '../control/helpers.js';
import { captureLog } from '../helpers/log-lines.js';

const posix = process.platform === 'linux' || process.platform === 'darwin' ? false : 'a crashed writer can only be replaced under a held name on Linux/macOS';
const python = spawnSync('python3', ['-c', 'import numpy, multiprocessing.shared_memory']).status === 0;
const uniqueName = (what: string) => `sdlive-reattach-${what}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;

function filled(width: number, height: number, value: number) {
  const frame = createFrame(width, height);
  frame.data.fill(value);
  return frame;
}

/** The source's frame is a full frame of this size whose every byte is `value`. */
const shows = (source: FrameSource, width: number, value: number) => () => {
  const f = source.latest();
  return f !== undefined && f.width === width && f.data.every((b) => b === value);
};

test('a writer whose ring was unlinked without being closed, then recreated bigger, is followed', { skip: posix, timeout: 30_000 }, async () => {
  const name = uniqueName('node');
  const crashed = new ShmRingWriter(name);
  const { log, lines } = captureLog();
  const ctx = { log, width: 64, height: 48, fps: 30 };
  crashed.write(filled(64, 48, 11));
  const source = await openSource(`shm:${name}`, ctx);
  const restarted = new ShmRingWriter(name);
  let timer: NodeJS.Timeout | undefined;
  try {
    await waitFor(shows(source, 64, 11), 'the first writer\'s frame', 5000);
    // What a crash leaves: the old region still mapped (here) and marked live, its name removed.
    unlinkMapping(name);
    let value = 100;
    timer = setInterval(() => restarted.write(filled(128, 96, value)), 30);
    await waitFor(shows(source, 128, 100), 'a frame of the new writer', 10_000);
    value = 101;
    await waitFor(shows(source, 128, 101), 'the new writer\'s next frames', 3000);
    assert.equal(source.stats().connected, true);
    assert.ok(lines.some((l) => l.includes('recreated the ring')), lines.join(''));
  } finally {
    clearInterval(timer);
    await source.close();
    restarted.close();
    crashed.close();
  }
});

/** The TouchDesigner module's RingWriter in its own Python process, writing frames of one value until killed. */
function pythonWriter(name: string, width: number, height: number, value: number): ChildProcess {
  const script = `import sys, time; sys.path.insert(0, "patches/touchdesigner"); import numpy as np; import sdlive_shm as s
w = s.RingWriter("${name}", ${width}, ${height})
frame = np.full((${height}, ${width}, 4), ${value}, dtype=np.uint8)
while True:
    w.write(frame); time.sleep(0.02)`;
  return spawn('python3', ['-c', script], { stdio: 'ignore' });
}

test('a Python writer killed outright (its resource tracker removes the ring) and started again is followed', { skip: posix || (python ? false : 'python3 with numpy is not available'), timeout: 30_000 }, async () => {
  const name = uniqueName('python');
  const { log } = captureLog();
  const first = pythonWriter(name, 64, 48, 7);
  let second: ChildProcess | undefined;
  let source: FrameSource | undefined;
  try {
    await waitFor(() => mappingSize(name) !== undefined, 'the Python writer\'s ring', 10_000);
    source = await openSource(`shm:${name}`, { log, width: 64, height: 48, fps: 30 });
    await waitFor(shows(source, 64, 7), 'the first writer\'s frame', 5000);
    first.kill('SIGKILL');
    await once(first, 'exit');
    await waitFor(() => mappingSize(name) === undefined, 'the resource tracker removing the dead writer\'s ring', 10_000);
    second = pythonWriter(name, 96, 64, 9);
    await waitFor(shows(source, 96, 9), 'the second writer\'s frame', 10_000);
  } finally {
    first.kill('SIGKILL');
    second?.kill('SIGKILL');
    await source?.close();
    if (second) await once(second, 'exit');
    unlinkMapping(name);
  }
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { IoStats } from '../../src/io/transport.js';

const dir = mkdtempSync(join(tmpdir(), 'sdlive-dead-sink-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('raw:- whose reader exits stops with one warning; the process and the other output go on', { skip: process.platform === 'win32' ? 'needs a POSIX shell pipeline' : false, timeout: 60_000 }, async () => {
  const file = join(dir, 'other.rgba');
  const n = 300;
  // `head -c 1000` reads less than one frame and exits: every later write to the pipe fails with EPIPE.
  const child = spawn('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" --import tsx test/io/fixtures/raw-stdout-sinks.ts "${file}" ${n} | head -c 1000 > /dev/null`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0, stderr);
  const lines = stderr.trim().split('\n');
  const stopped = lines.filter((l) => l.includes('stopped for good'));
  assert.equal(stopped.length, 1, stderr);
  assert.match(stopped[0]!, /"io":"raw:-"/);
  assert.match(stopped[0]!, /reader closed the pipe/);
  const { stats } = JSON.parse(lines.at(-1)!) as { stats: Record<string, IoStats> };
  assert.equal(stats['raw:-']!.connected, false);
  assert.equal(stats['raw:-']!.errors, 1);
  assert.deepEqual([stats[`raw:${file}`]!.frames, stats[`raw:${file}`]!.drops], [n, 0], 'the other output got every frame');
  assert.equal(statSync(file).size, n * 64 * 64 * 4);
});

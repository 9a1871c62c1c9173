import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

test('sdlive run with an http.host that is not an address of this machine exits 2 naming http.host', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdlive-bind-'));
  try {
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({
      pipeline: 'passthrough',
      http: { host: '192.0.2.1', port: 0, token: 'not-a-real-token' },
      osc: { host: '127.0.0.1', port: 0, zeroconf: false },
      midi: { enabled: false },
    }));
    const r = await runCli(['run', '--config', config]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^sdlive: SDL_ERR_BIND: http\.host "192\.0\.2\.1" cannot be bound \(EADDRNOTAVAIL\)/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

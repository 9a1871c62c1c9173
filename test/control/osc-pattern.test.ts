import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { OscPattern } from '../../src/control/osc/pattern.js';
import { ControlError } from '../../src/control/space/values.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { oscServer, UdpPeer } from './helpers.js';

// Expected answers read off the OSC 1.0 specification ("OSC Message Dispatching and Pattern Matching"):
// `?` one character, `*` zero or more, `[...]` one of the characters (`a-c` a range, `-` last is literal, `!`
// first negates, elsewhere literal), `{foo,bar}` one of the strings; matching is part by part, so no wildcard
// ever matches the `/` between parts.
const TABLE: [pattern: string, address: string, matches: boolean][] = [
  ['/sdlive/delta', '/sdlive/delta', true],
  ['/sdlive/delta', '/sdlive/deltas', false],
  ['/sdlive/?elta', '/sdlive/delta', true],
  ['/sdlive/?', '/sdlive/delta', false],
  ['/sdlive/?????', '/sdlive/delta', true],
  ['/sdlive/*', '/sdlive/delta', true],
  ['/sdlive/*delta', '/sdlive/delta', true],
  ['/sdlive/d*a', '/sdlive/delta', true],
  ['/sdlive/d*a', '/sdlive/deltas', false],
  ['/sdlive/*', '/sdlive/norm/delta', false],
  ['/sdlive/*/delta', '/sdlive/norm/delta', true],
  ['/sdlive/norm?delta', '/sdlive/norm/delta', false],
  ['/fruit/*a*a*', '/fruit/banana', true],
  ['/fruit/*a*a*a*a', '/fruit/banana', false],
  ['/fruit/b*n*n*', '/fruit/banana', true],
  ['/x/[abc]', '/x/b', true],
  ['/x/[abc]', '/x/d', false],
  ['/x/[a-c]', '/x/b', true],
  ['/x/[a-c]', '/x/-', false],
  ['/x/[ac-]', '/x/-', true],
  ['/x/[ac-]', '/x/b', false],
  ['/x/[!a-c]', '/x/d', true],
  ['/x/[!a-c]', '/x/b', false],
  ['/x/[a!]', '/x/!', true],
  ['/x[!a]y', '/x/y', false],
  ['/x/[0-7]/w', '/x/5/w', true],
  ['/x/[0-7]/w', '/x/8/w', false],
  ['/x/{foo,bar}', '/x/bar', true],
  ['/x/{foo,bar}', '/x/baz', false],
  ['/x/{foo,bar}', '/x/foobar', false],
  ['/x/{foo,foobar}', '/x/foobar', true],
  ['/x/{foo,bar}*', '/x/barn', true],
  ['/x/{foo,bar}?', '/x/bar', false],
  [`/sdlive/${'*'.repeat(30)}!`, '/sdlive/delta', false],
  [`/sdlive/${'*'.repeat(30)}a`, '/sdlive/delta', true],
];

const malformed = (pattern: string) => () => assert.throws(() => new OscPattern(pattern), (e: unknown) => e instanceof ControlError && e.reason === 'malformed');

describe('OSC address patterns', () => {
  it('match as the OSC 1.0 specification says', () => {
    const wrong = TABLE.filter(([pattern, address, expected]) => new OscPattern(pattern).matches(address) !== expected);
    assert.deepEqual(wrong, []);
  });

  it('refuse bad syntax and patterns over the length or wildcard limits as malformed', () => {
    malformed('/x/[abc')();
    malformed('/x/{foo,bar')();
    malformed('/x/[c-a]')();
    malformed(`/${'x'.repeat(300)}`)();
    malformed(`/${'?'.repeat(65)}`)();
    malformed(`/x/{${Array.from({ length: 65 }, (_, i) => `o${i}`).join(',')}}`)();
    assert.equal(new OscPattern(`/${'?'.repeat(64)}`).matches(`/${'a'.repeat(64)}`), true, '64 wildcards are within the limit');
  });

  it('match a pattern bomb against the real address space in milliseconds, not the minutes a backtracking RegExp takes', () => {
    const space = new AddressSpace(StreamDiffusionParams);
    for (const stars of [12, 30]) {
      const started = performance.now();
      assert.deepEqual(space.match(`/sdlive/${'*'.repeat(stars)}!`), []);
      const ms = performance.now() - started;
      assert.ok(ms < 200, `${stars} stars took ${ms.toFixed(0)} ms`);
    }
    assert.deepEqual(space.match('/sdlive/{delta,guidance_scale}').map((a) => a.path).sort(), ['/sdlive/delta', '/sdlive/guidance_scale']);
  });

  it('count a pattern over the limits as malformed on a real OSC server and answer the sender', async () => {
    const { server, close } = await oscServer(silentLogger, true);
    const peer = await UdpPeer.open();
    try {
      await peer.send(server.port, `/sdlive/${'?'.repeat(70)}`, 1);
      const error = await peer.next('/sdlive/error');
      assert.match(String(error.args[1]), /^malformed: address pattern with 70 wildcards is over the limit of 64$/);
      assert.equal(server.stats.failures.malformed, 1);
    } finally {
      await peer.close();
      await close();
    }
  });
});

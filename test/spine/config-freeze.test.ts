import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig } from '../../src/config.js';

test('the resolved config is frozen all the way down: nested objects, arrays and pipeline parameters', () => {
  const c = resolveConfig({ osc: { feedback: [{ host: '127.0.0.1', port: 9100 }] }, http: { allowed_hosts: ['stage.local'] } });
  const feedback = c.osc.feedback[0] as { port: number };
  assert.throws(() => { feedback.port = 1; }, TypeError);
  assert.throws(() => { (c.http as { port: number }).port = 1; }, TypeError);
  assert.throws(() => (c.http.allowed_hosts as string[]).push('evil.example'), TypeError);
  assert.throws(() => { (c.params as { t_index_list: number[] }).t_index_list[0] = 1; }, TypeError);
  assert.equal(c.osc.feedback[0]!.port, 9100);
  assert.deepEqual(c.http.allowed_hosts, ['stage.local']);
});

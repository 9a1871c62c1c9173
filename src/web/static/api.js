// @ts-check
// HTTP helpers; a ?token= in the page URL is passed on to every request and WebSocket (the server also sets a cookie).
const token = new URLSearchParams(location.search).get('token');

/** @param {string} path @param {string} protocol */
export function url(path, protocol = location.protocol) {
  const u = new URL(path, location.href);
  u.protocol = protocol;
  if (token) u.searchParams.set('token', token);
  return u.toString();
}

/** @param {string} path */
export function wsUrl(path) {
  return url(path, location.protocol === 'https:' ? 'wss:' : 'ws:');
}

/** A JSON reply; with `anyStatus`, a 503 body (/health) is an answer too. @param {string} path @param {RequestInit} [init] @param {boolean} [anyStatus] @returns {Promise<any>} */
async function json(path, init, anyStatus = false) {
  const res = await fetch(url(path), init);
  const body = await res.json();
  if (!res.ok && !anyStatus) throw new Error(body.error ?? `${res.status}`);
  return body;
}

// The server takes only JSON POSTs (a cross-site form or text/plain "simple request" is refused).
/** @param {string} path @param {unknown} body */
const post = (path, body) => json(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export const api = {
  /** @returns {Promise<import('./types').ParamsReply>} */
  params: () => json('/api/params'),
  /** @param {Record<string, unknown>} patch @returns {Promise<{ values: Record<string, unknown> }>} */
  setParams: (patch) => post('/api/params', patch),
  /** @returns {Promise<import('./types').Metrics>} */
  metrics: () => json('/api/metrics'),
  /** @returns {Promise<import('./types').HealthReport>} */
  health: () => json('/health', undefined, true),
  step: () => post('/api/commands/step', {}),
  /** A registered command's result (GET /api/commands lists them). @param {string} name @param {unknown[]} [args] @returns {Promise<unknown>} */
  command: async (name, args = []) => (await post(`/api/commands/${name}`, { args })).result,
  /** @returns {Promise<import('./types').TempoState>} */
  tempo: () => json('/api/tempo'),
  /** An OSCQuery node's VALUE (a command's current value); the whole node, since ?VALUE cannot share the query with ?token=. @param {string} path @returns {Promise<unknown[]>} */
  value: async (path) => (await json(path, { headers: { accept: 'application/json' } })).VALUE ?? [],
  /** @returns {Promise<{ CONTENTS?: Record<string, { FULL_PATH?: string }> }>} */
  namespace: () => json('/', { headers: { accept: 'application/json' } }),
};

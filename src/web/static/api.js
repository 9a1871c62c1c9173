// HTTP helpers; a ?token= in the page URL is passed on to every request and WebSocket (the server also sets a cookie).
const token = new URLSearchParams(location.search).get('token');

export function url(path, protocol = location.protocol) {
  const u = new URL(path, location.href);
  u.protocol = protocol;
  if (token) u.searchParams.set('token', token);
  return u.toString();
}

export function wsUrl(path) {
  return url(path, location.protocol === 'https:' ? 'wss:' : 'ws:');
}

async function json(path, init) {
  const res = await fetch(url(path), init);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `${res.status}`);
  return body;
}

// The server takes only JSON POSTs (a cross-site form or text/plain "simple request" is refused).
const post = (path, body) => json(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export const api = {
  params: () => json('/api/params'),
  setParams: (patch) => post('/api/params', patch),
  metrics: () => json('/api/metrics'),
  step: () => post('/api/engine/step', {}),
  namespace: () => json('/', { headers: { accept: 'application/json' } }),
};

// HTTP helpers; a ?token= in the page URL is passed on to every request (needed when bound beyond loopback).
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

export const api = {
  params: () => json('/api/params'),
  setParams: (patch) => json('/api/params', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) }),
  metrics: () => json('/api/metrics'),
  step: () => json('/api/engine/step', { method: 'POST' }),
  namespace: () => json('/', { headers: { accept: 'application/json' } }),
};

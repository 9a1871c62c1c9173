import { z } from 'zod';

export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

export const HttpConfig = z.strictObject({
  port: z.int().min(0).max(65535).default(9001).describe('One HTTP port for OSCQuery, WebSocket, metrics and the web page (0 picks a free port).'),
  host: z.string().default('127.0.0.1').describe('Bind address; anything but loopback requires a token.'),
  token: z.string().min(8).optional().describe('Access token required on every request and WebSocket (header, ?token= or cookie); required beyond loopback.'),
  allowed_hosts: z.array(z.string().min(1)).default([])
    .describe('Extra names a client may use in the Host header (e.g. "show-pc.local"); loopback names, the bind address and this machine\'s addresses always pass.'),
  allowed_origins: z.array(z.url({ protocol: /^https?$/ })).default([])
    .describe('Extra page origins (e.g. "http://show-pc.local:9001") allowed to call the API and open WebSockets; same-origin pages always are.'),
  max_websockets: z.int().min(1).max(1024).default(32).describe('Concurrent WebSocket connections (OSCQuery and preview together); more are refused with 503.'),
}).superRefine((c, ctx) => {
  if (!LOOPBACK_HOSTS.has(c.host) && !c.token) ctx.addIssue({ code: 'custom', path: ['token'], message: `required when http.host is ${c.host} (not loopback)` });
});
export type HttpConfig = z.output<typeof HttpConfig>;
export type HttpConfigInput = z.input<typeof HttpConfig>;

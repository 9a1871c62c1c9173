import { z } from 'zod';

export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

export const HttpConfig = z.strictObject({
  port: z.int().min(0).max(65535).default(9001).describe('One HTTP port for OSCQuery, WebSocket, metrics and the web page (0 picks a free port).'),
  host: z.string().default('127.0.0.1').describe('Bind address; anything but loopback requires a token.'),
  token: z.string().min(8).optional().describe('Access token required on every request when bound beyond loopback.'),
}).superRefine((c, ctx) => {
  if (!LOOPBACK_HOSTS.has(c.host) && !c.token) ctx.addIssue({ code: 'custom', path: ['token'], message: `required when http.host is ${c.host} (not loopback)` });
});
export type HttpConfig = z.output<typeof HttpConfig>;

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { LOOPBACK_HOSTS, type HttpConfig } from './config.js';
import { decodedOrUndefined } from '../util/percent-decode.js';

const TOKEN_COOKIE = 'sdlive_token';

export type RefusalReason = 'host' | 'origin' | 'token' | 'content_type' | 'websockets';

export interface Refusal {
  status: number;
  reason: RefusalReason;
  error: string;
}

/** A request that passed: the token cookie to set when the token came in a header or the query. */
export interface Admission {
  setCookie?: string;
}

const AUTHORITY = /^([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/i;

/** The host name in a Host header or an origin's authority, lower case, IPv6 without brackets; undefined when malformed. */
function hostnameOf(authority: string): string | undefined {
  if (!AUTHORITY.test(authority)) return undefined;
  try {
    return new URL(`http://${authority}`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.toLowerCase()));
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The query's raw `name=value` parts, so the token can be read and removed without re-encoding the rest (`?VALUE`). */
const queryParts = (url: URL) => url.search.slice(1).split('&').filter((p) => p !== '');
const isTokenPart = (part: string) => part === 'token' || part.startsWith('token=');

function cookieToken(header: string | undefined): string | undefined {
  const pair = header?.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${TOKEN_COOKIE}=`));
  return pair === undefined ? undefined : decodedOrUndefined(pair.slice(TOKEN_COOKIE.length + 1)) ?? '';
}

/** The token a request presents, in order of precedence: `Authorization: Bearer`, `?token=`, the cookie. */
function presentedToken(req: IncomingMessage, url: URL): { from: 'header' | 'query' | 'cookie'; value: string } | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (bearer !== undefined) return { from: 'header', value: bearer.trim() };
  const query = queryParts(url).find(isTokenPart);
  if (query !== undefined) return { from: 'query', value: decodedOrUndefined(query.slice('token='.length).replaceAll('+', ' ')) ?? '' };
  const cookie = cookieToken(req.headers.cookie);
  return cookie === undefined ? undefined : { from: 'cookie', value: cookie };
}

/** Removes `token` from the query (and from `req.url`) so route handlers see only their own parameters. */
export function stripToken(req: IncomingMessage, url: URL): void {
  const parts = queryParts(url);
  const kept = parts.filter((p) => !isTokenPart(p));
  if (kept.length === parts.length) return;
  url.search = kept.length ? `?${kept.join('&')}` : '';
  req.url = `${(req.url ?? '/').split('?')[0]}${url.search}`;
}

/**
 * Who may talk to the HTTP port: the Host header must name this server (no DNS rebinding), a browser's
 * Origin must be this server or an allowed one (no cross-site control), and with a token every request
 * and WebSocket must present it.
 */
export class AccessPolicy {
  private readonly bindsBeyondLoopback: boolean;
  private readonly hosts: ReadonlySet<string>;
  private readonly origins: ReadonlySet<string>;
  private readonly token: Buffer | undefined;
  private readonly cookie: string | undefined;

  constructor(config: HttpConfig) {
    this.bindsBeyondLoopback = !LOOPBACK_HOSTS.has(config.host);
    const extra = this.bindsBeyondLoopback ? [config.host.toLowerCase()] : [];
    this.hosts = new Set([...LOOPBACK_HOSTS, ...extra, ...config.allowed_hosts.map((h) => hostnameOf(h) ?? h.toLowerCase())]);
    this.origins = new Set(config.allowed_origins.map((o) => new URL(o).origin));
    this.token = config.token === undefined ? undefined : digest(config.token);
    this.cookie = config.token === undefined ? undefined : `${TOKEN_COOKIE}=${encodeURIComponent(config.token)}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /** Host, then Origin, then token; the refusal, or what the reply should carry. */
  admit(req: IncomingMessage, url: URL): Refusal | Admission {
    const host = req.headers.host ?? '';
    if (!this.hostAllowed(host)) return { status: 421, reason: 'host', error: `Host "${host.slice(0, 100)}" is not this server (add it to http.allowed_hosts)` };
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin, host)) {
      return { status: 403, reason: 'origin', error: `Origin "${origin.slice(0, 100)}" may not control this server (add it to http.allowed_origins)` };
    }
    if (!this.token) return {};
    const presented = presentedToken(req, url);
    if (!presented || !timingSafeEqual(digest(presented.value), this.token)) return { status: 401, reason: 'token', error: 'token required (http.token)' };
    return presented.from === 'cookie' ? {} : { setCookie: this.cookie };
  }

  private hostAllowed(host: string): boolean {
    const name = hostnameOf(host);
    if (name === undefined) return false;
    return this.hosts.has(name) || (this.bindsBeyondLoopback && interfaceAddresses().includes(name));
  }

  private originAllowed(origin: string, host: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return false;
    }
    const sameOrigin = (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.host === new URL(`http://${host}`).host;
    return sameOrigin || this.origins.has(parsed.origin);
  }
}

export function isRefusal(a: Refusal | Admission): a is Refusal {
  return 'status' in a;
}

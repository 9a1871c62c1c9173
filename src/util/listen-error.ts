import { SdliveError } from '../errors.js';

/** What a listener binds, and the config fields (and the flag, where there is one) that set it. */
export interface ListenAddress {
  host: string;
  hostField: string;
  port: number;
  portField: string;
  /** How to pick another port, e.g. "set --http-port". */
  portHint: string;
}

/** Errors meaning the host is not an address of this machine, not of its family, or a name that does not resolve. */
const UNBINDABLE_HOST: ReadonlySet<string> = new Set(['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EINVAL', 'EAFNOSUPPORT']);

/** A listen/bind failure as a start-up error naming the config field to change; any other error as it is. */
export function listenError(e: NodeJS.ErrnoException, a: ListenAddress): Error {
  if (e.code === 'EADDRINUSE') return new SdliveError('SDL_ERR_PORT_IN_USE', `${a.portField} ${a.port} is already in use (${a.portHint})`, a.portField);
  if (e.code === 'EACCES') return new SdliveError('SDL_ERR_BIND', `${a.portField} ${a.port} cannot be bound (EACCES): pick a port above 1023`, a.portField);
  if (e.code && UNBINDABLE_HOST.has(e.code)) {
    return new SdliveError('SDL_ERR_BIND', `${a.hostField} "${a.host}" cannot be bound (${e.code}): use 127.0.0.1, 0.0.0.0 or an address of this machine`, a.hostField);
  }
  return e;
}

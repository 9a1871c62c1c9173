import { Bonjour } from 'bonjour-service';
import type { Logger } from '../../log.js';

export interface Advertisement {
  name: string;
  oscPort: number;
  httpPort: number;
}

export interface ZeroconfHandle {
  close(): Promise<void>;
}

/**
 * Advertises `_oscjson._tcp` (OSCQuery) and `_osc._udp` over mDNS. Where multicast is not allowed the
 * failure is one log line and the engine runs on without it.
 */
export function advertise(ad: Advertisement, log: Logger): ZeroconfHandle {
  let failed = false;
  const onError = (e: unknown) => {
    if (failed) return;
    failed = true;
    log.warn({ err: e instanceof Error ? e.message : String(e) }, 'zeroconf advertisement unavailable (set osc.zeroconf false to silence)');
  };
  let bonjour: Bonjour | undefined;
  try {
    bonjour = new Bonjour({}, onError);
    for (const [type, protocol, port] of [['oscjson', 'tcp', ad.httpPort], ['osc', 'udp', ad.oscPort]] as const) {
      bonjour.publish({ name: ad.name, type, protocol, port, probe: false }).on('error', onError);
    }
  } catch (e) {
    onError(e);
  }
  return {
    close: () => new Promise<void>((resolve) => {
      if (!bonjour) return resolve();
      const b = bonjour;
      b.unpublishAll(() => b.destroy(() => resolve()));
      setTimeout(resolve, 500).unref();
    }),
  };
}

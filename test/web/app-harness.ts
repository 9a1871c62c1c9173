import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';

/** The real app (control surface, metrics, web page), on the passthrough pipeline unless `opts.pipeline` says otherwise, ports picked by the OS. */
export function startTestApp(params: Record<string, unknown> = {}, opts: { http?: Record<string, unknown>; pipeline?: string } = {}): Promise<RunningApp> {
  const { http = {}, pipeline = 'passthrough' } = opts;
  const config = resolveConfig({
    pipeline,
    params: { width: 256, height: 256, ...params },
    http: { port: 0, ...http },
    osc: { port: 0, host: '127.0.0.1', zeroconf: false },
    midi: { enabled: false },
  });
  return startApp(config, silentLogger);
}

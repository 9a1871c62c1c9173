import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';

/** The real app (control surface, metrics, web page), on the passthrough pipeline and test:bars unless `opts` says otherwise, ports picked by the OS. */
export function startTestApp(params: Record<string, unknown> = {}, opts: { http?: Record<string, unknown>; pipeline?: string; input?: string } = {}): Promise<RunningApp> {
  const { http = {}, pipeline = 'passthrough', input } = opts;
  const config = resolveConfig({
    pipeline,
    ...(input ? { input } : {}),
    params: { width: 256, height: 256, ...params },
    http: { port: 0, ...http },
    osc: { port: 0, host: '127.0.0.1', zeroconf: false },
    midi: { enabled: false },
  });
  return startApp(config, silentLogger);
}

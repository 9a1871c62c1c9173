// @ts-check
import { api } from './api.js';

/** @typedef {import('./types').Metrics} Metrics */
/** @typedef {import('./types').HealthReport} HealthReport */
/** @typedef {{ metrics: Metrics, health: HealthReport } | { error: string }} Reading */

/** Polls /api/metrics and /health once a second for every panel that shows them (one request each, shared). */
export class Monitor {
  constructor(periodMs = 1000) {
    this.periodMs = periodMs;
    /** @type {Set<(r: Reading) => void>} */
    this.handlers = new Set();
  }

  /** @param {(r: Reading) => void} fn */
  on(fn) {
    this.handlers.add(fn);
  }

  async poll() {
    /** @type {Reading} */
    let reading;
    try {
      const [metrics, health] = await Promise.all([api.metrics(), api.health()]);
      reading = { metrics, health };
    } catch (e) {
      reading = { error: e instanceof Error ? e.message : String(e) };
    }
    for (const fn of this.handlers) fn(reading);
    setTimeout(() => void this.poll(), this.periodMs);
  }
}

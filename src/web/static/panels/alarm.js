// @ts-check
import { el } from '../dom.js';

/** @typedef {import('../monitor.js').Reading} Reading */
/** @typedef {import('../types').Metrics} Metrics */
/** @typedef {import('../types').HealthReport} HealthReport */
/** @typedef {{ level: 'alarm' | 'warn', title: string, reason: string, concerns: string[] }} Alarm */

/** @param {Metrics} m */
function degradedTitle(m) {
  if (m.model.lastLoadError) return 'Model reload failed';
  if (m.model.failedProviders.length) return 'Running on a fallback provider';
  return 'Output unstable: the stream state was reset';
}

/** @param {HealthReport} h @param {Metrics} m @returns {string} */
function titleOf(h, m) {
  const waiting = m.state === 'waiting';
  switch (h.status) {
    case 'failing': return 'Output frozen: the pipeline fails on every frame';
    case 'stalled': return waiting ? 'No input frames' : 'Output stalled: no fresh frames';
    case 'stopped': return 'Engine stopped';
    case 'degraded': return degradedTitle(m);
    default: return m.model.lastLoadError ? 'Model failed to load' : waiting ? 'Waiting for the first input frame' : 'Starting';
  }
}

/** The input, model and outputs an alarm is about, named by their specs. @param {HealthReport} h @param {Metrics} m */
function concernsOf(h, m) {
  const concerns = [];
  if (m.state === 'waiting' || /input/.test(h.reason)) concerns.push(`input: ${m.io.source.spec}`);
  if (m.model.lastLoadError || !m.model.loaded) concerns.push(`model: ${m.model.pipeline}${m.model.lastLoadError ? ` (${m.model.lastLoadError})` : m.model.loading ? ' (loading)' : ''}`);
  if (h.status === 'failing' || h.status === 'degraded' || (h.status === 'stalled' && m.state !== 'waiting')) {
    const sinks = m.io.sinks.map((s) => s.spec).join(', ');
    concerns.push(`outputs: ${sinks || 'none'}${m.heldFrames ? ` (holding the last good frame, ${m.heldFrames} held)` : ''}`);
  }
  return concerns;
}

/** What the banner says for one reading, or undefined while the show runs as configured (ok, or paused on purpose). @param {Reading} r @returns {Alarm | undefined} */
export function alarmOf(r) {
  if ('error' in r) return { level: 'alarm', title: 'Engine unreachable', reason: r.error, concerns: [] };
  const { health: h, metrics: m } = r;
  if (h.status === 'ok' || h.status === 'paused') return undefined;
  const serious = h.status !== 'degraded' && (h.status !== 'starting' || Boolean(m.model.lastLoadError));
  return { level: serious ? 'alarm' : 'warn', title: titleOf(h, m), reason: h.reason, concerns: concernsOf(h, m) };
}

/** The banner at the top of the page: hidden while all is well, impossible to miss otherwise. @param {HTMLElement} banner */
export function showAlarms(banner) {
  /** @param {Reading} r */
  return (r) => {
    const alarm = alarmOf(r);
    banner.hidden = !alarm;
    if (!alarm) return banner.replaceChildren();
    banner.dataset.level = alarm.level;
    const concerns = alarm.concerns.map((c) => el('span', { className: 'concern', textContent: c }));
    banner.replaceChildren(el('strong', { className: 'title', textContent: alarm.title }), el('span', { className: 'reason', textContent: alarm.reason }), ...concerns);
  };
}

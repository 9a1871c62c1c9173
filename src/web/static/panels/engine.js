// @ts-check
import { el } from '../dom.js';

/** @typedef {import('../types').Metrics} Metrics */
/** @typedef {import('../monitor.js').Reading} Reading */
/** @typedef {[label: string, show: (m: Metrics) => string | number]} Row */

const ms = (/** @type {number} */ v) => `${v.toFixed(0)} ms`;

/** @param {Metrics} m */
function modelLine(m) {
  const { model } = m;
  const size = model.width ? ` ${model.width}×${model.height}` : '';
  if (model.loading) return `${model.pipeline}${size}: loading…`;
  if (!model.loaded) return `${model.pipeline}: not loaded${model.lastLoadError ? ` (${model.lastLoadError})` : ''}`;
  return `${model.pipeline}${size}: loaded${model.provider ? ` on ${model.provider}` : ''}`;
}

/** What a performer reads at a glance. @type {Row[]} */
const SHOW = [
  ['State', (m) => m.state],
  ['Frame rate', (m) => `${m.fps.toFixed(1)} fps`],
  ['Delay', (m) => `${m.latencyFrames} frame${m.latencyFrames === 1 ? '' : 's'} · ${ms(m.latencyMs)}`],
  ['Dropped input frames', (m) => m.droppedFrames],
  ['Model', modelLine],
  ['Errors', (m) => Object.entries(m.errors).map(([c, n]) => `${c}: ${n}`).join(', ') || 'none'],
];

/** For whoever debugs the engine, folded by default. @type {Row[]} */
const DEVELOPER = [
  ['Frames', (m) => m.frameCount],
  ['Held outputs (last good frame repeated)', (m) => m.heldFrames],
  ['Warm-up frames', (m) => m.warmupFrames],
  ['Last model load', (m) => (m.model.lastLoadError ? `failed: ${m.model.lastLoadError}` : ms(m.model.lastLoadMs))],
  ['Worker restarts', (m) => m.model.workerRestarts],
  ['Input', (m) => m.io.source.spec],
  ['Outputs', (m) => m.io.sinks.map((s) => s.spec).join(', ') || 'none'],
  ['Memory (RSS)', (m) => `${(m.memory.rss / 2 ** 20).toFixed(0)} MiB`],
];

/** What a row means, as its tooltip. @type {Record<string, string>} */
const HINTS = {
  'Delay': 'from an input frame to its picture at the outputs: what to compensate for',
  'Dropped input frames': 'input frames that came while the model was busy; the newest frame always wins',
  'Held outputs (last good frame repeated)': 'outputs that repeated the last good picture (pause, a failed frame, no new input)',
};

/** @param {Metrics['stages']} stages @returns {[string, string][]} */
function stageRows(stages) {
  return Object.entries(stages).map(([name, s]) => [`${name} ms (p50 / p95)`, `${s.median.toFixed(1)} / ${s.p95.toFixed(1)}`]);
}

/** @param {[string, string][]} rows */
function tableRows(rows) {
  return rows.map(([label, value]) => {
    const tr = el('tr', { title: HINTS[label] ?? '' });
    tr.dataset.metric = label;
    for (const text of [label, value]) tr.append(el('td', { textContent: text }));
    return tr;
  });
}

/** Engine state and metrics in plain words, developer details folded, the single-frame step. */
export const enginePanel = {
  id: 'engine',
  title: 'Engine',
  /** @param {HTMLElement} section @param {{ api: typeof import('../api.js').api, monitor: import('../monitor.js').Monitor }} ctx */
  mount(section, { api, monitor }) {
    const step = el('button', { textContent: 'Step one frame', title: 'While paused, run exactly one frame' });
    step.onclick = () => void api.step();
    const table = el('table', { className: 'metrics' });
    const details = el('details', { className: 'developer' });
    const devTable = el('table', { className: 'metrics' });
    details.append(el('summary', { textContent: 'Developer details' }), devTable);
    section.append(table, step, details);
    monitor.on((r) => {
      if ('error' in r) return void table.replaceChildren(el('tr', { className: 'error', textContent: r.error }));
      const m = r.metrics;
      table.replaceChildren(...tableRows(SHOW.map(([label, fn]) => [label, String(fn(m))])));
      devTable.replaceChildren(...tableRows([...DEVELOPER.map(([label, fn]) => /** @type {[string, string]} */ ([label, String(fn(m))])), ...stageRows(m.stages)]));
    });
  },
};

/** Engine state and metrics (polled from /api/metrics once a second), with the single-frame step. */
const ROWS = [
  ['State', (m) => m.state],
  ['FPS', (m) => m.fps.toFixed(1)],
  ['Latency', (m) => `${m.latencyMs.toFixed(0)} ms / ${m.latencyFrames} frames`],
  ['Frames', (m) => m.frameCount],
  ['Dropped input', (m) => m.droppedFrames],
  ['Held outputs', (m) => m.heldFrames],
  ['Errors', (m) => Object.entries(m.errors).map(([c, n]) => `${c}: ${n}`).join(', ') || 'none'],
  ['Model', (m) => `${m.model.pipeline} ${m.model.width}x${m.model.height}${m.model.loading ? ' (reloading…)' : ''}`],
  ['Last load', (m) => (m.model.lastLoadError ? `failed: ${m.model.lastLoadError}` : `${m.model.lastLoadMs.toFixed(0)} ms`)],
  ['Memory (RSS)', (m) => `${(m.memory.rss / 2 ** 20).toFixed(0)} MiB`],
];

function stageRows(stages) {
  return Object.entries(stages).map(([name, s]) => [`${name} ms (p50 / p95)`, `${s.median.toFixed(1)} / ${s.p95.toFixed(1)}`]);
}

export const enginePanel = {
  id: 'engine',
  title: 'Engine',
  mount(section, { api }) {
    const step = document.createElement('button');
    step.textContent = 'Step one frame';
    step.title = 'While paused, run exactly one frame';
    step.onclick = () => api.step();
    const table = document.createElement('table');
    table.className = 'metrics';
    section.append(step, table);
    const render = (m) => {
      const rows = [...ROWS.map(([label, fn]) => [label, String(fn(m))]), ...stageRows(m.stages)];
      table.replaceChildren(...rows.map(([label, value]) => {
        const tr = document.createElement('tr');
        tr.dataset.metric = label;
        for (const text of [label, value]) tr.append(Object.assign(document.createElement('td'), { textContent: text }));
        return tr;
      }));
    };
    const poll = async () => {
      try {
        render(await api.metrics());
      } catch (e) {
        table.replaceChildren(Object.assign(document.createElement('tr'), { className: 'error', textContent: e.message }));
      }
      setTimeout(poll, 1000);
    };
    poll();
  },
};

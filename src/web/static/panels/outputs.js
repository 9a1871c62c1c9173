// @ts-check
import { el } from '../dom.js';

/** @typedef {import('../types').Metrics} Metrics */
/** @typedef {Metrics['io']['sinks'][number]} SinkStats */

/** @param {SinkStats} s */
const sinkLine = (s) => `${s.spec}${s.recording ? ' (recording)' : ''}: ${s.frames} frames${s.drops ? `, ${s.drops} dropped` : ''}${s.connected ? '' : ', not connected'}`;

/**
 * Record on cue and outputs added or removed while running, through the output/* and record/* commands: a record
 * button (a name inside recordings.folder, or the default), the outputs with a remove button each, an add field.
 */
export const outputsPanel = {
  id: 'outputs',
  title: 'Outputs',
  /**
   * @param {HTMLElement} section
   * @param {{ api: typeof import('../api.js').api, monitor: import('../monitor.js').Monitor, channel: import('../channel.js').Channel }} ctx
   */
  mount(section, { api, monitor, channel }) {
    const note = el('div', { className: 'note' });
    /** @param {() => Promise<unknown>} action */
    const run = (action) => action().then(() => (note.textContent = ''), (/** @type {Error} */ e) => (note.textContent = e.message));
    let recording = '';
    const name = el('input', { type: 'text', placeholder: 'take.mkv (optional)', title: 'A file name in recordings.folder; never replaces a file' });
    const record = el('button', { className: 'record' });
    const showRecording = () => {
      record.textContent = recording ? `■ Stop recording ${recording.split(/[\\/]/).pop()}` : '● Record';
      record.classList.toggle('armed', recording !== '');
    };
    record.onclick = () => void run(async () => {
      const reply = recording ? await api.command('record/stop') : await api.command('record/start', name.value ? [name.value] : []);
      recording = recording ? '' : /** @type {{ file: string }} */ (reply).file;
      showRecording();
    });
    const list = el('ul', { className: 'outputs' });
    const spec = el('input', { type: 'text', placeholder: 'shm:NAME, spout:NAME, ndi:NAME, ffmpeg:srt://...' });
    const add = el('button', { textContent: 'Add output' });
    add.onclick = () => void run(() => api.command('output/add', [spec.value]));
    const bar = el('div', { className: 'list-buttons' });
    bar.append(record, name, spec, add);
    section.append(bar, note, list);
    showRecording();
    monitor.on((r) => {
      if ('error' in r) return;
      list.replaceChildren(...r.metrics.io.sinks.map((s) => {
        const remove = el('button', { textContent: 'Remove', title: 'A recording writes every queued frame first' });
        remove.onclick = () => void run(() => api.command('output/remove', [s.spec]));
        const li = el('li', { textContent: sinkLine(s) });
        li.append(' ', remove);
        return li;
      }));
      void api.value(`${channel.root}/record/start`).then(([file]) => {
        recording = typeof file === 'string' ? file : '';
        showRecording();
      }, () => undefined);
    });
  },
};

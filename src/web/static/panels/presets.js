// @ts-check
import { el } from '../dom.js';

/** @typedef {{ name: string, number?: number }} PresetSummary */
/** @typedef {{ bank: string, presets: PresetSummary[], banks: string[], recalled: string }} PresetList */

/** The bank's presets as buttons (recall, morphing over the seconds given), save-as, and the bank in use. */
export const presetsPanel = {
  id: 'presets',
  title: 'Presets',
  /** @param {HTMLElement} section @param {{ api: typeof import('../api.js').api, channel: import('../channel.js').Channel }} ctx */
  mount(section, { api, channel }) {
    const buttons = el('div', { className: 'preset-buttons' });
    const morph = el('input', { type: 'number', min: '0', max: '3600', step: '0.5', value: '0', title: 'Morph time in seconds (0: at once)' });
    const banks = el('select', { title: 'The bank in use' });
    const name = el('input', { type: 'text', placeholder: 'name', maxLength: 64 });
    const save = el('button', { textContent: 'Save as', title: 'Save the current look as a preset of this bank' });
    const note = el('div', { className: 'note' });
    const morphRow = el('div', { className: 'preset-bar' });
    morphRow.append(el('label', { textContent: 'Morph s' }), morph, el('label', { textContent: 'Bank' }), banks);
    // The morph in flight, by hand: the engine's `morph` parameter (0 where it started, 1 at the preset).
    const fader = el('input', { type: 'range', min: '0', max: '1', step: '0.001', value: String(channel.values.morph ?? 1), className: 'morph-fader', title: 'Scrub the morph in flight' });
    fader.oninput = () => void channel.set('morph', Number(fader.value));
    channel.on('morph', (v) => (fader.value = String(v)));
    morphRow.append(fader);
    const saveRow = el('div', { className: 'preset-bar' });
    saveRow.append(name, save);
    section.append(buttons, morphRow, saveRow, note);

    /** @param {unknown} e */
    const fail = (e) => {
      note.dataset.kind = 'refused';
      note.textContent = e instanceof Error ? e.message : String(e);
    };
    /** @param {string} text */
    const tell = (text) => {
      note.dataset.kind = '';
      note.textContent = text;
    };
    /** @param {PresetList} list */
    const show = (list) => {
      buttons.replaceChildren(...list.presets.map((p) => {
        const b = el('button', { textContent: p.number === undefined ? p.name : `${p.number} · ${p.name}`, className: p.name === list.recalled ? 'preset active' : 'preset' });
        b.dataset.preset = p.name;
        b.onclick = () => void recall(p.name);
        return b;
      }));
      if (!list.presets.length) buttons.append(el('span', { className: 'help', textContent: 'No presets in this bank yet: save one.' }));
      banks.replaceChildren(...[...new Set([...list.banks, list.bank])].map((b) => el('option', { value: b, textContent: b, selected: b === list.bank })));
    };
    const refresh = async () => show(/** @type {PresetList} */ (await api.command('preset/list')));
    /** @param {string} preset */
    const recall = async (preset) => {
      try {
        await api.command('preset/recall', [preset, Number(morph.value) || 0]);
        for (const b of buttons.querySelectorAll('button.preset')) b.classList.toggle('active', /** @type {HTMLElement} */ (b).dataset.preset === preset);
        tell(`recalled ${preset}`);
      } catch (e) {
        fail(e);
      }
    };
    save.onclick = async () => {
      try {
        const saved = /** @type {PresetSummary} */ (await api.command('preset/save', [name.value.trim()]));
        tell(`saved ${saved.name} as number ${saved.number}`);
        await refresh();
      } catch (e) {
        fail(e);
      }
    };
    banks.onchange = async () => {
      try {
        await api.command('preset/bank', [banks.value]);
        await refresh();
      } catch (e) {
        fail(e);
        await refresh();
      }
    };
    refresh().catch(fail);
  },
};

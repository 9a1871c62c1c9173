// @ts-check
import { el } from '../dom.js';

/** @typedef {import('../types').TempoState} TempoState */
/** @typedef {import('../types').ModulatorValue} ModulatorValue */
/** @typedef {import('../channel.js').Channel} Channel */
/** @typedef {typeof import('../api.js').api} Api */

const POLL_MS = 500;

/** One light per beat of the bar; the current one lit, animated between polls from the bpm. */
class BeatLights {
  /** @param {HTMLElement} parent */
  constructor(parent) {
    this.row = el('div', { className: 'beats' });
    parent.append(this.row);
    /** @type {{ state: TempoState, at: number } | undefined} */
    this.sync = undefined;
    const frame = () => {
      this.draw();
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  /** @param {TempoState} state */
  follow(state) {
    this.sync = { state, at: Date.now() };
    if (this.row.childElementCount !== state.beatsPerBar) this.row.replaceChildren(...Array.from({ length: state.beatsPerBar }, () => el('span', { className: 'beat' })));
  }

  draw() {
    if (!this.sync) return;
    const { state, at } = this.sync;
    const beats = state.bar * state.beatsPerBar + ((Date.now() - at) * state.bpm) / 60_000;
    const current = Math.floor(beats) % state.beatsPerBar;
    const flash = beats - Math.floor(beats) < 0.25;
    [...this.row.children].forEach((light, i) => light.classList.toggle('on', i === current && flash));
  }
}

/** What a modulator does, in a line: "lfo sine 2 Hz ±0.2 on delta". @param {ModulatorValue} m */
function describe(m) {
  const swing = `${m.kind === 'lfo' ? '±' : '+'}${m.depth}${m.offset ? ` offset ${m.offset}` : ''}`;
  if (m.kind === 'envelope') return `envelope ${m.attack}/${m.decay}/${m.sustain}/${m.release} s ${swing} on ${m.target}`;
  const rate = m.beats !== undefined ? `every ${m.beats} beat${m.beats === 1 ? '' : 's'}` : `${m.rate} Hz`;
  return `lfo ${m.shape} ${rate} ${swing} on ${m.target}${m.enabled ? '' : ' (off)'}`;
}

/**
 * The modulators: one row each with its live value and, for envelopes, a trigger button; the list as JSON to
 * edit (the same JSON /sdlive/modulators takes).
 */
class ModulatorList {
  /** @param {HTMLElement} parent @param {Channel} channel @param {Api} api */
  constructor(parent, channel, api) {
    this.api = api;
    this.rows = el('div', { className: 'modulators' });
    this.note = el('div', { className: 'note' });
    this.editor = el('textarea', { className: 'modulators-json', rows: 4, spellcheck: false });
    this.editor.title = 'The modulators as JSON: [{"kind":"lfo","name":"wobble","target":"delta","rate":0.5,"depth":0.2}]';
    const apply = el('button', { textContent: 'Apply modulators' });
    apply.onclick = () => this.send(channel);
    const param = el('div', { className: 'param' }); // the `modulators` parameter's control
    param.dataset.key = 'modulators';
    param.append(this.rows, this.editor, apply, this.note);
    parent.append(param);
    /** The live-value spans of each target's modulators. @type {Map<string, HTMLElement[]>} */
    this.values = new Map();
    this.show(/** @type {ModulatorValue[]} */ (channel.values.modulators ?? []));
    channel.on('modulators', (v) => this.show(/** @type {ModulatorValue[]} */ (v)));
    channel.onRefused((key, message) => key === 'modulators' && (this.note.textContent = `not applied: ${message}`));
  }

  /** @param {Channel} channel */
  send(channel) {
    try {
      void channel.set('modulators', JSON.parse(this.editor.value || '[]'));
      this.note.textContent = '';
    } catch (e) {
      this.note.textContent = `not JSON: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /** @param {ModulatorValue[]} list */
  show(list) {
    this.values.clear();
    this.rows.replaceChildren(...list.map((m) => {
      const value = el('span', { className: 'live' });
      this.values.set(m.target, [...(this.values.get(m.target) ?? []), value]);
      const row = el('div', { className: 'modulator' });
      row.dataset.name = m.name;
      row.append(el('span', { className: 'name', textContent: m.name }), el('span', { textContent: describe(m) }), value);
      if (m.kind === 'envelope') {
        const trigger = el('button', { textContent: 'Trigger' });
        trigger.onclick = () => void this.api.command('modulator/trigger', [m.name]).catch((e) => (this.note.textContent = String(e.message ?? e)));
        row.append(trigger);
      }
      return row;
    }));
    if (document.activeElement !== this.editor) this.editor.value = list.length ? JSON.stringify(list, null, 1) : '';
  }

  /** @param {Record<string, number>} live */
  follow(live) {
    for (const [target, spans] of this.values) for (const span of spans) span.textContent = target in live ? ` → ${target} ${live[target]?.toFixed(3)}` : '';
  }
}

/** Tempo (bpm, beat lights, tap, set, resync) and the modulators with their live values. */
export const tempoPanel = {
  id: 'tempo',
  title: 'Tempo and modulators',
  /** @param {HTMLElement} section @param {{ api: Api, channel: Channel }} ctx */
  mount(section, { api, channel }) {
    const bpm = el('input', { type: 'number', min: '20', max: '999', step: '0.1', className: 'bpm', title: 'Tempo, bpm (a running MIDI clock overrides it)' });
    bpm.onchange = () => void api.command('tempo/bpm', [Number(bpm.value)]).catch(() => undefined);
    const tap = el('button', { textContent: 'Tap', className: 'tap', title: 'Tap on the beat: the tempo is the average of your taps; a pause over 2 s starts over' });
    tap.onpointerdown = () => void api.command('tempo/tap', []).catch(() => undefined);
    const resync = el('button', { textContent: 'Bar starts now', title: 'Put the downbeat here, at the same tempo' });
    resync.onclick = () => void api.command('tempo/resync', []).catch(() => undefined);
    const source = el('span', { className: 'source' });
    const row = el('div', { className: 'tempo' });
    row.append(bpm, el('span', { textContent: ' bpm ' }), tap, resync, source);
    section.append(row);
    const lights = new BeatLights(section);
    const modulators = new ModulatorList(section, channel, api);
    const poll = async () => {
      try {
        const state = await api.tempo();
        if (document.activeElement !== bpm) bpm.value = state.bpm.toFixed(1);
        source.textContent = ` from ${state.source}${state.waiting ? ` · ${state.waiting} change(s) waiting for the beat` : ''}`;
        lights.follow(state);
        modulators.follow(state.modulation);
      } catch {
        source.textContent = ' (no tempo: engine unreachable)';
      }
      setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
  },
};

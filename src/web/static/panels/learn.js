// @ts-check
import { el } from '../dom.js';

/** @typedef {import('../channel.js').Channel} Channel */

/** Kinds a MIDI control can drive (a fader or a button); text and lists have no learn button. */
const LEARNABLE = new Set(['number', 'integer', 'boolean', 'enum']);

/**
 * The MIDI learn buttons of the parameter rows, shown only while a MIDI input is open. Armed is what the server
 * says (LISTEN on /sdlive/learn), not what was clicked; a refusal shows beside the row clicked last.
 */
export class LearnButtons {
  /** @param {Channel} channel @param {boolean} midi whether the engine has a MIDI input open */
  constructor(channel, midi) {
    this.channel = channel;
    this.midi = midi;
    /** @type {Map<string, { button: HTMLButtonElement, note: HTMLElement }>} */
    this.rows = new Map();
    /** @type {string | undefined} */
    this.clicked = undefined;
    channel.onLearn((target) => this.showArmed(target));
    channel.onLearnError((message) => this.showError(message));
  }

  /** The learn button of one parameter row, or undefined where MIDI cannot drive it. @param {import('../types').PageSpec} spec @param {HTMLElement} note */
  create(spec, note) {
    if (!this.midi || !LEARNABLE.has(spec.kind)) return undefined;
    const button = el('button', { className: 'learn', textContent: 'learn', title: 'MIDI learn: click, then move a control on your controller' });
    button.onclick = () => {
      this.clicked = spec.key;
      note.textContent = '';
      this.channel.learn(spec.key);
    };
    this.rows.set(spec.key, { button, note });
    return button;
  }

  /** @param {string} target */
  showArmed(target) {
    for (const [key, { button }] of this.rows) button.classList.toggle('armed', key === target);
  }

  /** @param {string} message */
  showError(message) {
    const row = this.clicked === undefined ? undefined : this.rows.get(this.clicked);
    if (!row) return;
    row.button.classList.remove('armed');
    row.note.textContent = message;
  }
}

// @ts-check
import { api, wsUrl } from './api.js';
import { decodeMessage, encodeMessage } from './osc.js';
import { entryFields, fromArgs, toArgs } from './values.js';

/** @typedef {import('./types').PageSpec} PageSpec */
/** @typedef {(value: unknown) => void} ValueHandler */

/** A change the engine neither confirmed nor refused within this long is shown as the engine's value again. */
const SETTLE_MS = 1500;

/**
 * Parameters over the OSCQuery WebSocket, the same channel TouchDesigner, Chataigne or VDMX use: LISTEN to
 * every parameter, set values with binary OSC frames, follow PATH_CHANGED pushes. Weighted lists (prompts,
 * seeds) are set with POST /api/params as JSON, so a prompt is always prompt text; without OSCQuery (no
 * control surface) every value goes that way. `values` is what the engine holds, never what was typed.
 */
export class Channel {
  /** @param {PageSpec[]} specs @param {Record<string, unknown>} values @param {string} root */
  constructor(specs, values, root = '/sdlive') {
    this.specs = new Map(specs.map((s) => [s.key, s]));
    this.values = { ...values };
    this.root = root;
    /** @type {Map<string, Set<ValueHandler>>} */
    this.handlers = new Map();
    /** @type {Set<(state: string) => void>} */
    this.stateHandlers = new Set();
    /** @type {Set<(target: string) => void>} */
    this.learnHandlers = new Set();
    /** @type {Set<(key: string, message: string) => void>} */
    this.refusalHandlers = new Set();
    /** @type {Set<(message: string) => void>} */
    this.learnErrorHandlers = new Set();
    /** @type {Map<string, ReturnType<typeof setTimeout>>} */
    this.unsettled = new Map();
    /** @type {WebSocket | undefined} */
    this.ws = undefined;
    this.state = 'connecting';
  }

  connect() {
    const ws = new WebSocket(wsUrl('/'));
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      this.ws = ws;
      for (const [key, spec] of this.specs) {
        // A weighted list has no single-value reading on /<key>: its changes are pushed on /<key>/json.
        for (const address of entryFields(spec) ? [key, `${key}/json`] : [key]) ws.send(JSON.stringify({ COMMAND: 'LISTEN', DATA: `${this.root}/${address}` }));
      }
      ws.send(JSON.stringify({ COMMAND: 'LISTEN', DATA: `${this.root}/learn` }));
      this.setState('oscquery');
      void this.refresh();
    };
    ws.onmessage = (e) => (typeof e.data === 'string' ? this.onCommand(e.data) : this.onOsc(e.data));
    ws.onclose = () => {
      this.ws = undefined;
      this.setState('http');
      setTimeout(() => this.connect(), 2000);
    };
  }

  /** @param {string} text */
  onCommand(text) {
    /** @type {{ COMMAND?: string, DATA?: string, VALUE?: unknown }} */
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    const { COMMAND, DATA, VALUE } = msg;
    if (COMMAND !== 'PATH_CHANGED' || !Array.isArray(VALUE) || typeof DATA !== 'string' || !DATA.startsWith(`${this.root}/`)) return;
    if (DATA === `${this.root}/learn`) {
      for (const fn of this.learnHandlers) fn(String(VALUE[0] ?? ''));
      return;
    }
    const key = DATA.slice(this.root.length + 1).replace(/\/json$/, '');
    const spec = this.specs.get(key);
    if (!spec) return;
    if (entryFields(spec)) void this.refresh();
    else this.apply(key, fromArgs(spec, VALUE));
  }

  /**
   * Reads every value back as JSON (GET /api/params): on (re)connecting, since changes made meanwhile were not
   * pushed, and for weighted lists, which are never parsed out of an OSC string.
   */
  async refresh() {
    try {
      const { values } = await api.params();
      for (const key of this.specs.keys()) if (JSON.stringify(values[key]) !== JSON.stringify(this.values[key])) this.apply(key, values[key]);
    } catch {
      // The next push or change reads them again.
    }
  }

  /** Binary frames: value pushes (PATH_CHANGED carries those too) and `/error "<address>" "<reason>"` replies. @param {ArrayBuffer} buffer */
  onOsc(buffer) {
    /** @type {{ address: string, args: unknown[] }} */
    let msg;
    try {
      msg = decodeMessage(buffer);
    } catch {
      return;
    }
    if (msg.address !== `${this.root}/error`) return;
    const [address = '', message = ''] = msg.args.map(String);
    if (address === `${this.root}/learn`) for (const fn of this.learnErrorHandlers) fn(message);
    const key = this.keyOf(address);
    if (key) this.refuse(key, message);
  }

  /** The parameter an address belongs to: /sdlive/delta -> delta, /sdlive/prompts/1/text -> prompt. @param {string} address */
  keyOf(address) {
    if (!address.startsWith(`${this.root}/`)) return undefined;
    const head = address.slice(this.root.length + 1).split('/')[0] ?? '';
    if (this.specs.has(head)) return head;
    return [...this.specs.keys()].find((key) => `${key}s` === head);
  }

  /** @param {string} key @param {string} message */
  refuse(key, message) {
    this.settle(key);
    for (const fn of this.refusalHandlers) fn(key, message);
  }

  /** Calls fn with the target MIDI learn is armed for ("" when idle), as the server reports it. @param {(target: string) => void} fn */
  onLearn(fn) {
    this.learnHandlers.add(fn);
  }

  /** Calls fn(message) when the server refused to arm MIDI learn. @param {(message: string) => void} fn */
  onLearnError(fn) {
    this.learnErrorHandlers.add(fn);
  }

  /** Calls fn(key, reason) for each change of key the engine refused. @param {(key: string, message: string) => void} fn */
  onRefused(fn) {
    this.refusalHandlers.add(fn);
  }

  /** @param {string} key @param {unknown} value */
  apply(key, value) {
    this.settle(key);
    this.values[key] = value;
    this.notify(key);
  }

  /** @param {string} key */
  notify(key) {
    for (const fn of this.handlers.get(key) ?? []) fn(this.values[key]);
  }

  /** @param {string} key */
  settle(key) {
    clearTimeout(this.unsettled.get(key));
    this.unsettled.delete(key);
  }

  /** Calls fn with each new engine value of key, from any client. @param {string} key @param {ValueHandler} fn */
  on(key, fn) {
    const set = this.handlers.get(key) ?? new Set();
    set.add(fn);
    this.handlers.set(key, set);
  }

  /** @param {(state: string) => void} fn */
  onState(fn) {
    this.stateHandlers.add(fn);
    fn(this.state);
  }

  /** @param {string} state */
  setState(state) {
    this.state = state;
    for (const fn of this.stateHandlers) fn(state);
  }

  /** Sends a change; the engine's answer arrives as a push (accepted) or through onRefused (refused). @param {string} key @param {unknown} value */
  async set(key, value) {
    const spec = this.specs.get(key);
    if (!spec) return;
    if (!this.ws || entryFields(spec)) return this.post(key, value);
    this.ws.send(encodeMessage(`${this.root}/${key}`, toArgs(spec, value)));
    this.settle(key);
    this.unsettled.set(key, setTimeout(() => (this.unsettled.delete(key), this.notify(key)), SETTLE_MS));
  }

  /** @param {string} key @param {unknown} value */
  async post(key, value) {
    try {
      const { values } = await api.setParams({ [key]: value });
      this.apply(key, values[key]);
    } catch (e) {
      this.refuse(key, e instanceof Error ? e.message : String(e));
    }
  }

  /** Arms MIDI learn for a parameter: the next moved MIDI control is bound to it. @param {string} key */
  learn(key) {
    this.ws?.send(encodeMessage(`${this.root}/learn`, [{ type: 's', value: key }]));
  }
}

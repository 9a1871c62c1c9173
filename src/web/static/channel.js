import { api, wsUrl } from './api.js';
import { decodeMessage, encodeMessage } from './osc.js';
import { addressOf, fromArgs, toArgs } from './values.js';

/**
 * Parameters over the OSCQuery WebSocket, the same channel TouchDesigner, Chataigne or VDMX use: LISTEN to
 * every parameter, set values with binary OSC frames, follow PATH_CHANGED pushes. Without OSCQuery (no
 * control surface), values are set over POST /api/params instead.
 */
export class Channel {
  constructor(specs, values, root = '/sdlive') {
    this.specs = new Map(specs.map((s) => [s.key, s]));
    this.keyOf = new Map(specs.map((s) => [addressOf(s), s.key]));
    this.values = { ...values };
    this.root = root;
    this.handlers = new Map();
    this.stateHandlers = new Set();
    this.learnHandlers = new Set();
    this.errorHandlers = new Set();
    this.ws = undefined;
    this.state = 'connecting';
  }

  connect() {
    const ws = new WebSocket(wsUrl('/'));
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      this.ws = ws;
      for (const address of this.keyOf.keys()) ws.send(JSON.stringify({ COMMAND: 'LISTEN', DATA: `${this.root}/${address}` }));
      ws.send(JSON.stringify({ COMMAND: 'LISTEN', DATA: `${this.root}/learn` }));
      this.setState('oscquery');
    };
    ws.onmessage = (e) => (typeof e.data === 'string' ? this.onCommand(e.data) : this.onOsc(e.data));
    ws.onclose = () => {
      this.ws = undefined;
      this.setState('http');
      setTimeout(() => this.connect(), 2000);
    };
  }

  onCommand(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.COMMAND !== 'PATH_CHANGED' || !Array.isArray(msg.VALUE) || !msg.DATA.startsWith(`${this.root}/`)) return;
    if (msg.DATA === `${this.root}/learn`) {
      for (const fn of this.learnHandlers) fn(String(msg.VALUE[0] ?? ''));
      return;
    }
    const key = this.keyOf.get(msg.DATA.slice(this.root.length + 1));
    const spec = this.specs.get(key);
    if (spec) this.apply(key, fromArgs(spec, msg.VALUE));
  }

  /** Binary frames: value pushes (PATH_CHANGED carries those too) and `/error "<address>" "<reason>"` replies. */
  onOsc(buffer) {
    let msg;
    try {
      msg = decodeMessage(buffer);
    } catch {
      return;
    }
    if (msg.address !== `${this.root}/error`) return;
    const [address, message] = msg.args.map(String);
    for (const fn of this.errorHandlers) fn(address, message);
  }

  /** Calls fn with the target MIDI learn is armed for ("" when idle), as the server reports it. */
  onLearn(fn) {
    this.learnHandlers.add(fn);
  }

  /** Calls fn(address, message) for each message the server refused from this page. */
  onError(fn) {
    this.errorHandlers.add(fn);
  }

  apply(key, value) {
    this.values[key] = value;
    for (const fn of this.handlers.get(key) ?? []) fn(value);
  }

  /** Calls fn with each new value of key, from any client. */
  on(key, fn) {
    if (!this.handlers.has(key)) this.handlers.set(key, new Set());
    this.handlers.get(key).add(fn);
  }

  onState(fn) {
    this.stateHandlers.add(fn);
    fn(this.state);
  }

  setState(state) {
    this.state = state;
    for (const fn of this.stateHandlers) fn(state);
  }

  /** Sets a parameter; resolves with an error message when the engine refused it (HTTP path only). */
  async set(key, value) {
    const spec = this.specs.get(key);
    if (this.ws) {
      this.ws.send(encodeMessage(`${this.root}/${addressOf(spec)}`, toArgs(spec, value)));
      return undefined;
    }
    try {
      const { values } = await api.setParams({ [key]: value });
      this.apply(key, values[key]);
      return undefined;
    } catch (e) {
      return e.message;
    }
  }

  /** Arms MIDI learn for a parameter: the next moved MIDI control is bound to it. */
  learn(key) {
    this.ws?.send(encodeMessage(`${this.root}/learn`, [{ type: 's', value: key }]));
  }
}

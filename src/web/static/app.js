// @ts-check
import { api } from './api.js';
import { Channel } from './channel.js';
import { Monitor } from './monitor.js';
import { showAlarms } from './panels/alarm.js';
import { PANELS } from './panels/index.js';

/** The OSC root the control surface serves (first node of the OSCQuery namespace), /sdlive by default. */
async function oscRoot() {
  try {
    const ns = await api.namespace();
    const first = Object.values(ns.CONTENTS ?? {})[0];
    return first?.FULL_PATH ?? '/sdlive';
  } catch {
    return '/sdlive';
  }
}

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const { pipeline, specs, values, midi = false } = await api.params();
byId('pipeline').textContent = pipeline;
const channel = new Channel(specs, values, await oscRoot());
channel.onState((s) => (byId('channel-state').textContent = s === 'oscquery' ? 'live (OSCQuery)' : s === 'http' ? 'HTTP only (no OSCQuery)' : s));
channel.connect();

const monitor = new Monitor();
monitor.on(showAlarms(byId('alarm')));
monitor.on((r) => {
  const state = byId('health');
  state.textContent = 'error' in r ? 'unreachable' : r.health.status;
  state.dataset.status = 'error' in r ? 'unreachable' : r.health.status;
});

for (const panel of PANELS) {
  const section = document.createElement('section');
  section.className = 'panel';
  section.id = `panel-${panel.id}`;
  section.append(Object.assign(document.createElement('h2'), { textContent: panel.title }));
  byId(panel.id === 'preview' || panel.id === 'engine' ? 'stage' : 'controls').append(section);
  panel.mount(section, { api, channel, specs, midi, monitor });
}
void monitor.poll();
Object.assign(window, { sdlive: { channel } });

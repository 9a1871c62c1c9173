import { api } from './api.js';
import { Channel } from './channel.js';
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

const { specs, values } = await api.params();
const channel = new Channel(specs, values, await oscRoot());
channel.onState((s) => (document.getElementById('channel-state').textContent = s === 'oscquery' ? 'live (OSCQuery)' : s === 'http' ? 'HTTP only (no OSCQuery)' : s));
channel.connect();

const main = document.getElementById('panels');
for (const panel of PANELS) {
  const section = document.createElement('section');
  section.className = 'panel';
  section.id = `panel-${panel.id}`;
  const title = document.createElement('h2');
  title.textContent = panel.title;
  section.append(title);
  main.append(section);
  panel.mount(section, { api, channel, specs });
}
window.sdlive = { channel };

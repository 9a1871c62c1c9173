import { controlFor } from './controls.js';
import { LearnButtons } from './learn.js';

/** Every schema parameter as a control, grouped as the schema groups them; generated from /api/params. */
export const paramsPanel = {
  id: 'params',
  title: 'Parameters',
  mount(section, { channel, specs }) {
    let group;
    const learn = new LearnButtons(channel);
    for (const spec of specs) {
      if (spec.group !== group) {
        group = spec.group;
        section.append(Object.assign(document.createElement('h3'), { textContent: group }));
      }
      section.append(row(spec, channel, learn));
    }
  },
};

function row(spec, channel, learnButtons) {
  const div = document.createElement('div');
  div.className = 'param';
  div.dataset.key = spec.key;
  const label = document.createElement('label');
  label.textContent = spec.label ?? spec.key;
  label.title = `${spec.key}: ${spec.description}`;
  if (spec.phase === 'load') label.append(Object.assign(document.createElement('span'), { className: 'load', textContent: 'reload' }));
  const control = controlFor(spec, channel.values[spec.key], (value) => channel.set(spec.key, value));
  channel.on(spec.key, (value) => control.update(value));
  const learn = learnButtons.create(spec.key);
  div.append(label, control.element, learn.button, learn.note);
  return div;
}

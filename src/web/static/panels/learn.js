/**
 * The MIDI learn buttons of the parameter rows. Armed is what the server says (LISTEN on /sdlive/learn), not
 * what was clicked; a refusal (`/error "/sdlive/learn" "..."`, e.g. MIDI off) shows under the row clicked last.
 */
export class LearnButtons {
  constructor(channel) {
    this.channel = channel;
    this.rows = new Map();
    this.clicked = undefined;
    channel.onLearn((target) => this.showArmed(target));
    channel.onError((address, message) => address === `${channel.root}/learn` && this.showError(message));
  }

  /** The button and its message line for one parameter. */
  create(key) {
    const button = Object.assign(document.createElement('button'), { className: 'learn', textContent: 'learn' });
    button.title = 'MIDI learn: click, then move a control on your controller';
    const note = Object.assign(document.createElement('div'), { className: 'learn-note error' });
    button.onclick = () => {
      this.clicked = key;
      note.textContent = '';
      this.channel.learn(key);
    };
    this.rows.set(key, { button, note });
    return { button, note };
  }

  showArmed(target) {
    for (const [key, { button }] of this.rows) button.classList.toggle('armed', key === target);
  }

  showError(message) {
    const row = this.rows.get(this.clicked);
    if (!row) return;
    row.button.classList.remove('armed');
    row.note.textContent = message;
  }
}

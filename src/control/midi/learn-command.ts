import type { Logger } from '../../log.js';
import { isQuery } from '../space/address-space.js';
import type { MidiControl } from './midi-control.js';
import { encodeMessage } from '../osc/codec.js';
import type { OscServer } from '../osc/server.js';
import { asString, ControlError } from '../space/values.js';

/**
 * MIDI learn over OSC: `/sdlive/learn "<target>"` arms it (refused when no MIDI input is open: nothing could
 * ever bind), `/sdlive/learn "?"` answers the armed target ("" when idle), `/sdlive/learn/cancel` disarms.
 * Returns the function that removes the commands.
 */
export function installLearnCommands(osc: OscServer, midi: MidiControl, log: Logger): () => void {
  const address = `${osc.space.root}/learn`;
  const removeLearn = osc.command(address, (args, from) => {
    if (isQuery(args)) return void (from && osc.send(from, encodeMessage(address, [midi.learn.target], 's')));
    try {
      if (!midi.available) throw new ControlError('rejected', 'MIDI is off or unavailable (no MIDI input is open)');
      midi.learn.start(asString(args[0]));
      log.info({ target: midi.learn.target }, 'MIDI learn armed: move a control');
    } catch (e) {
      osc.fail(address, e, from);
    }
  });
  const removeCancel = osc.command(`${address}/cancel`, () => midi.learn.cancel());
  return () => {
    removeLearn();
    removeCancel();
  };
}

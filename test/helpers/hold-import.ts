import { register } from 'node:module';

/**
 * Preload for CLI tests (`node --import tsx --import this`): the first import of `onnxruntime-node` is announced
 * on file descriptor 3 and held for HOLD_MS, so a test can send a signal while the engine's module graph loads.
 */
const HOLD_MS = 3000;
const hooks = `
import { writeSync } from 'node:fs';
let announced = false;
export async function resolve(specifier, context, next) {
  if (specifier === 'onnxruntime-node') {
    if (!announced) writeSync(3, 'loading onnxruntime-node\\n');
    announced = true;
    await new Promise((r) => setTimeout(r, ${HOLD_MS}));
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

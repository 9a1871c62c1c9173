/**
 * Signal handling for `sdlive run`, loaded before anything heavy: cli.ts installs it first thing, so SIGINT/SIGTERM
 * at any moment (while modules load, while the model loads, while running) is a clean stop with exit 0.
 */
type Stop = (why: string) => Promise<void>;

/** A stop normally takes well under a second; this bounds one that hangs. */
const STOP_LIMIT_MS = 2000;
/** With recordings open, their queued frames are written before exiting, within this bound. */
const RECORDING_STOP_LIMIT_MS = 30_000;

let stop: Stop | undefined;
let recordings: () => boolean = () => false;
let stopping = false;

/** Stops at most once: runs the registered stop (close the app), then exits 0; a second call exits at once. */
export async function shutdown(why: string): Promise<void> {
  if (stopping) process.exit(0);
  stopping = true;
  setTimeout(() => process.exit(0), recordings() ? RECORDING_STOP_LIMIT_MS : STOP_LIMIT_MS).unref();
  await stop?.(why).catch(() => undefined);
  process.exit(0);
}

/**
 * What a shutdown closes once `run` has started opening things; before that a signal simply exits 0. While
 * `recordings()` says one is open (asked when the shutdown begins: they start and stop at run time), the stop
 * may take longer than usual so that no queued frame is lost.
 */
export function onShutdown(close: Stop, opts: { recordings?: () => boolean } = {}): void {
  stop = close;
  recordings = opts.recordings ?? (() => false);
}

export function installShutdownSignals(): void {
  const onSignal = (signal: NodeJS.Signals) => void shutdown(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Signal handling for `sdlive run`, loaded before anything heavy: cli.ts installs it first thing, so SIGINT/SIGTERM
 * at any moment (while modules load, while the model loads, while running) is a clean stop with exit 0.
 */
type Stop = (why: string) => Promise<void>;

let stop: Stop | undefined;
let stopping = false;

/** Stops at most once: runs the registered stop (close the app), then exits 0; exits anyway after 2 s. */
export async function shutdown(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 2000).unref();
  await stop?.(why).catch(() => undefined);
  process.exit(0);
}

/** What a shutdown closes once `run` has started opening things; before that a signal simply exits 0. */
export function onShutdown(close: Stop): void {
  stop = close;
}

export function installShutdownSignals(): void {
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

/**
 * Every error sdlive reports on purpose, with a stable code. Codes are never reused; a retired code stays
 * here commented out. `exitCode` is what the CLI exits with when the error stops start-up.
 */
export const ERROR_CODES = {
  SDL_ERR_CONFIG: 'A configuration file or command-line flag is invalid.',
  SDL_ERR_CONFIG_READ: 'The configuration file cannot be read or is not JSON.',
  SDL_ERR_PARAM: 'A parameter value was rejected by the schema.',
  SDL_ERR_UNKNOWN_PARAM: 'No parameter of that name exists.',
  SDL_ERR_TRANSPORT_SPEC: 'An --input/--output spec names no known transport, is malformed, or names a missing file or folder.',
  SDL_ERR_TRANSPORT_UNAVAILABLE: 'A transport cannot run on this machine (library, OS or program missing).',
  SDL_ERR_MODEL_LOAD: 'A model folder cannot be loaded.',
  SDL_ERR_MODEL_DIALECT: 'A model file uses an input/output layout the engine cannot serve.',
  SDL_ERR_LORA: 'A LoRA file cannot be found, read or fused into the model.',
  SDL_ERR_PROVIDER: 'No requested execution provider could create a session.',
  SDL_ERR_PIPELINE: 'The pipeline failed while processing a frame.',
  SDL_ERR_NONFINITE: 'A pipeline produced NaN or infinite values; the frame was dropped.',
  SDL_ERR_WORKER: 'The inference worker thread crashed or broke the worker protocol.',
  SDL_ERR_MAPPING: 'A mapping file is invalid.',
  SDL_ERR_PRESET: 'A preset bank file or a preset is invalid.',
  SDL_ERR_MIDI_UNAVAILABLE: 'No MIDI subsystem is available on this machine.',
  SDL_ERR_PORT_IN_USE: 'A network port the engine needs is already in use.',
  SDL_ERR_BIND: 'A listener cannot bind its configured address or port (not an address of this machine, or not permitted).',
  SDL_ERR_HUB: 'The Hugging Face hub (or the mirror HF_ENDPOINT names) cannot be reached, or refused a request.',
  SDL_ERR_CHECKSUM: 'A downloaded file does not match the checksum the hub lists for it.',
  SDL_ERR_DISK_SPACE: 'The disk has too little free space for the files to download.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class SdliveError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'SdliveError';
  }
}

export function isSdliveError(e: unknown, code?: ErrorCode): e is SdliveError {
  return e instanceof SdliveError && (code === undefined || e.code === code);
}

/** One line for a log or a terminal: never a stack trace. */
export function errorLine(e: unknown): string {
  if (e instanceof SdliveError) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

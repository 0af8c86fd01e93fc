import type { Envelope } from './api.js';

/** An engine error re-thrown on the caller's side, with the engine's own message and code. */
export class ApiError extends Error {
  readonly code?: string;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

/** The result of an envelope, or its error re-thrown; anything else is a transport fault. */
export function unwrap<T>(env: Envelope<T> | undefined, method: string): T {
  if (env && typeof env === 'object') {
    if ('error' in env) throw new ApiError(env.error, env.code);
    if ('result' in env) return env.result;
  }
  throw new ApiError(`${method}: malformed reply from the host`);
}

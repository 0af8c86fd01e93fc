// Typed engine errors: a code and a one-line message. The CLI maps them to exit code 1,
// hosts pass the message through unchanged so users see the engine's own words.
export type ErrorCode =
  | 'BAD_INPUT'
  | 'BAD_MODEL'
  | 'BAD_DATA'
  | 'NOT_FOUND'
  | 'MISMATCH'
  | 'UNSUPPORTED'
  | 'CANCELLED'
  | 'IO'
  // A host refused to write where the user did not choose (src/main/write-policy.ts).
  | 'FORBIDDEN';

export class MemLensError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    // One line: the CLI prints it as is.
    super(message.replace(/\s*\n\s*/g, ' '));
    this.code = code;
    this.name = 'MemLensError';
  }
}

/** Throws CANCELLED when the signal fired; call between batches. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new MemLensError('CANCELLED', 'cancelled');
}

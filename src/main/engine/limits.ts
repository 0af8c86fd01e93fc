// Sizes a hostile or broken input could blow up (docs/SECURITY.md). Each has a safe default that a
// user with a genuinely larger input raises through its environment variable; the error that stops
// an input names that variable. Read at each check, so a host can change them without a restart.
import { MemLensError, type ErrorCode } from './errors.js';

export const LIMITS = {
  /** Bytes one tensor of a model may declare (dims x element size). */
  tensorBytes: { env: 'MEMLENS_MAX_TENSOR_BYTES', fallback: 4 * 1024 ** 3, unit: 'bytes' },
  /** Pixels (width x height) of one image file before it is decoded. */
  imagePixels: { env: 'MEMLENS_MAX_IMAGE_PIXELS', fallback: 40_000_000, unit: 'pixels' },
  /** Bytes one data file (an image, an IDX set after gunzip) may hold. */
  fileBytes: { env: 'MEMLENS_MAX_FILE_BYTES', fallback: 1024 ** 3, unit: 'bytes' },
} as const;

export type LimitName = keyof typeof LIMITS;

/** The limit in force: its variable when set to a positive integer, else the default. */
export function limit(name: LimitName): number {
  const { env, fallback } = LIMITS[name];
  const raw = process.env[env];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new MemLensError('BAD_INPUT', `${env} must be a positive integer, got '${raw}'`);
  return n;
}

/** The one-line refusal for `what` (which says what it is and how big) over limit `name`. */
export function overLimit(name: LimitName, what: string, code: ErrorCode = 'BAD_INPUT'): MemLensError {
  const { env, unit } = LIMITS[name];
  return new MemLensError(code, `${what}, over the limit of ${limit(name)} ${unit} (raise it with ${env})`);
}

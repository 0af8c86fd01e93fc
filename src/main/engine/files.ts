import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MemLensError } from './errors.js';

/**
 * Writes via a temp file in the same folder and renames it over the target, so a crash or
 * Ctrl-C never leaves a partial file and readers see either the old or the new content.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const chunks = Array.isArray(data) ? data : [typeof data === 'string' ? Buffer.from(data) : data];
  let fh;
  try {
    fh = await open(tmp, 'w');
    for (const c of chunks) await fh.write(c);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => {});
    await rm(tmp, { force: true });
    throw new MemLensError('IO', `cannot write ${path}: ${(e as Error).message}`);
  }
}

/** Refuses to write over the input (the user's source model is never overwritten). */
export function assertNotSamePath(input: string, output: string): void {
  if (resolve(input) === resolve(output)) {
    throw new MemLensError('BAD_INPUT', `output path ${output} is the input model; choose another path`);
  }
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await new Promise<void>((ok, fail) => {
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => ok())
      .on('error', fail);
  });
  return h.digest('hex');
}

export function sha256Bytes(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A file that must exist and be a regular file; one-line error otherwise. */
export async function requireFile(path: string, what = 'file'): Promise<void> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new MemLensError('NOT_FOUND', `${what} ${path} does not exist`);
  if (!s.isFile()) throw new MemLensError('BAD_INPUT', `${what} ${path} is not a file`);
}

/** A JSON document from a file; BAD_INPUT naming `what` and the file when it cannot be read as JSON. */
export async function readJson(path: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new MemLensError('BAD_INPUT', `${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A JSON object (not an array, not null): what a document's fields are checked in. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

import { createHash, randomBytes, type Hash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MemLensError } from './errors.js';
import { limit, overLimit } from './limits.js';

/** Why a write failed, in words, without the temp file's name that the raw error would show. */
const WRITE_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of its path is a file, not a folder',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  EDQUOT: 'over the disk quota',
  EEXIST: 'a part of its path is a file, not a folder',
};

/** `.<name>.<pid>.<random>.tmp` next to the target: unique between processes and between concurrent writes. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Removes temp files (or staged folders) of `name` left by writers that were killed (their process is gone). */
export async function removeOrphans(dir: string, name: string): Promise<void> {
  const entries = await readdir(dir).catch(() => []);
  for (const entry of entries) {
    const m = TEMP_NAME.exec(entry);
    if (m && m[1] === name && Number(m[2]) !== process.pid && !alive(Number(m[2])))
      await rm(join(dir, entry), { force: true, recursive: true });
  }
}

/** A fresh name beside `path` in the temp pattern (TEMP_NAME), so a killed run's leftovers are found later. */
export function tempBeside(path: string): string {
  return join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes via a temp file in the same folder and renames it over the target, so a crash or
 * Ctrl-C never leaves a partial file and readers see either the old or the new content. A missing
 * folder is created (the user named it); temp files a killed earlier write left behind are removed.
 *
 * `check` (saveModel's onnxruntime load) runs while the temp file is written and flushed, and the
 * rename waits for it: when it rejects, no file is left and its error is thrown as it is. Side by
 * side, writing no longer adds to the check's time (docs/PRUNING.md).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array | Uint8Array[],
  check?: () => Promise<void>,
): Promise<void> {
  const dir = dirname(resolve(path));
  const tmp = tempBeside(path);
  const chunks = Array.isArray(data) ? data : [typeof data === 'string' ? Buffer.from(data) : data];
  let fh;
  try {
    await mkdir(dir, { recursive: true });
    // wx: a name that exists is never written through (it could be a link planted there).
    fh = await open(tmp, 'wx');
    // One writev: a write call per chunk (hundreds of tensors) took about twice as long.
    const total = chunks.reduce((n, c) => n + c.byteLength, 0);
    const file = fh;
    const write = async () => {
      const { bytesWritten } = await file.writev(chunks);
      if (bytesWritten !== total) throw new Error(`wrote ${bytesWritten} of ${total} bytes`);
      await file.sync();
    };
    const [written, checked] = await Promise.allSettled([write(), check?.()]);
    if (checked.status === 'rejected') throw checked.reason;
    if (written.status === 'rejected') throw written.reason;
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {}); // ENOTDIR when the folder was never there
    if (e instanceof MemLensError) throw e;
    const err = e as NodeJS.ErrnoException;
    const why = WRITE_ERRORS[err.code ?? ''] ?? err.message.split(tmp).join(path);
    throw new MemLensError('IO', `cannot write ${path}: ${why}`);
  }
  await removeOrphans(dir, basename(path));
}

/**
 * Writes a unit of files whose JSON document is its commit point (docs/SECURITY.md, "Outputs as one
 * unit"): the old document is moved aside first, `writeRest` writes the other files and returns the
 * new document, which is written last. A run killed or failing at any moment leaves either a
 * document that describes the files beside it or no document, never an old document beside new
 * files. The moved-aside document has the temp pattern, so a later write removes it if we are killed.
 */
export async function writeDocumentLast(doc: string, writeRest: () => Promise<string>): Promise<void> {
  await removeOrphans(dirname(resolve(doc)), basename(doc));
  const aside = tempBeside(doc);
  await rename(doc, aside).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT')
      throw new MemLensError('IO', `cannot write ${doc}: ${WRITE_ERRORS[e.code ?? ''] ?? String(e.code)}`);
  });
  try {
    await writeFileAtomic(doc, await writeRest());
  } finally {
    await rm(aside, { force: true });
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

/**
 * The bytes of a regular file of at most `maxBytes`. Opened without blocking and checked on the open
 * handle, so a FIFO (which would wait forever for a writer), a device such as /dev/zero (endless) or a
 * link to either is refused before anything is read, and no swap between check and read can slip one in.
 * `hash`, when given, digests the bytes as they arrive.
 */
export async function readRegularFile(
  path: string,
  what: string,
  maxBytes: number = limit('fileBytes'),
  hash?: Hash,
): Promise<Buffer> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new MemLensError('NOT_FOUND', `${what} ${path} does not exist`);
    throw new MemLensError('IO', `cannot read ${what} ${path}: ${WRITE_ERRORS[e.code ?? ''] ?? e.message}`);
  });
  try {
    const s = await fh.stat();
    if (!s.isFile()) throw new MemLensError('BAD_INPUT', `${what} ${path} is not a regular file`);
    if (s.size > maxBytes) throw overLimit('fileBytes', `${what} ${path} has ${s.size} bytes`);
    return await readHashing(fh, s.size, hash);
  } finally {
    await fh.close();
  }
}

/** Bytes per read: large reads (FileHandle.readFile reads 512 KiB at a time), few enough to overlap hashing. */
const READ_CHUNK = 4 << 20;

/**
 * The file's `size` bytes (fewer if it shrank meanwhile), read in large chunks while `hash` digests the
 * chunk before: reading and hashing a 90 MiB model overlap instead of following each other
 * (165 ms -> 90 ms measured, docs/PRUNING.md).
 */
async function readHashing(fh: FileHandle, size: number, hash?: Hash): Promise<Buffer> {
  const buf = Buffer.allocUnsafeSlow(size);
  const next = (at: number) => fh.read(buf, at, Math.min(READ_CHUNK, size - at), at);
  let done = 0;
  let pending = size > 0 ? next(0) : undefined;
  while (pending) {
    const { bytesRead } = await pending;
    const start = done;
    done += bytesRead;
    pending = bytesRead > 0 && done < size ? next(done) : undefined;
    hash?.update(buf.subarray(start, done));
  }
  return buf.subarray(0, done);
}

/** JSON.parse's complaint without the quoted start of the text, which could be any file's content. */
function jsonProblem(e: Error): string {
  if (/^Unexpected end/.test(e.message)) return 'it ends too early';
  const at = / at position (\d+)/.exec(e.message);
  return `unexpected character${at ? ` at position ${at[1]}` : ''}`;
}

/** A JSON document from a file; BAD_INPUT naming `what` and the file when it cannot be read as JSON. */
export async function readJson(path: string, what: string): Promise<unknown> {
  const text = (await readRegularFile(path, what)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MemLensError('BAD_INPUT', `${what} ${path} is not valid JSON: ${jsonProblem(e as Error)}`);
  }
}

/** A JSON object (not an array, not null): what a document's fields are checked in. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

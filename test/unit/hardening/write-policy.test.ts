// Issue 17, "Build": in the app and serve, writes go only where the user chose (the open project's
// folder, a folder given to `serve --allow-write`, a path a file dialog returned). Each case asks a
// real engine to write and checks the disk: a refused write leaves no file at all.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelOf } from '../../../src/main/app/channels.js';
import { registerIpc, type IpcEventLike } from '../../../src/main/app/ipc.js';
import { createEngine } from '../../../src/main/engine/index.js';
import { startServer, TOKEN_HEADER, type RunningServer } from '../../../src/main/serve/server.js';
import { recordingChoices, WritePolicy } from '../../../src/main/write-policy.js';
import { DEMO, ROOT } from '../../support/cli.js';

const MODEL = join(DEMO, 'ssl-cnn-f.onnx');
const root = mkdtempSync(join(tmpdir(), 'memlens-write-policy-'));
const allowed = join(root, 'allowed');
const outside = join(root, 'outside');
const projectDir = join(root, 'project');
const projectFile = join(projectDir, 'p.memlens.json');
const engine = () => createEngine({ resourcesDir: join(ROOT, 'resources'), stateDir: join(root, 'state') });
const csv = (path: string) => ({ path, content: 'a,b\n1,2\n', encoding: 'utf8' });
const prune = (out: string) => ({ model: MODEL, strategy: 'random', ratio: 0.2, scope: 'layer', out });

beforeAll(() => {
  for (const d of [allowed, outside, projectDir, join(root, 'renderer')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(root, 'renderer', 'index.html'), '<p>app</p>');
  writeFileSync(
    projectFile,
    JSON.stringify({
      schema: 'memlens.project/1',
      name: 'write policy',
      model: MODEL,
      data: { candidates: join(DEMO, 'data', 'candidates-images-idx3-ubyte.gz') },
      normalization: { mean: [0.286], std: [0.353] },
    }),
  );
  symlinkSync(outside, join(allowed, 'link'));
});

describe('memlens serve: writes only inside --allow-write folders and the open project', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      engine: engine(),
      rendererDir: join(root, 'renderer'),
      host: '127.0.0.1',
      port: 0,
      allowWrite: [allowed],
    });
  });
  afterAll(() => server.close());

  const api = (method: string, req: unknown) =>
    new Promise<{ status: number; body: { result?: unknown; error?: string; code?: string } }>((ok, fail) => {
      const r = request(
        `${new URL(server.url).origin}/api/${method}`,
        { method: 'POST', headers: { [TOKEN_HEADER]: server.token, 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => ok({ status: res.statusCode!, body: JSON.parse(text) }));
        },
      );
      r.on('error', fail);
      r.setTimeout(60_000, () => r.destroy(new Error(`${method}: no answer within 60 s`)));
      r.end(JSON.stringify(req));
    });

  it('refuses a write outside with 403 and FORBIDDEN, in one line naming the path and the option', async () => {
    const target = join(outside, 'table.csv');
    const r = await api('saveExport', csv(target));
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      code: 'FORBIDDEN',
      error: `saveExport: writing ${target} is not allowed: it is outside the open project's folder; start memlens serve with --allow-write DIR to allow a folder`,
    });
    expect(readdirSync(outside)).toEqual([]);
  });

  it('writes inside an --allow-write folder', async () => {
    const target = join(allowed, 'sub', 'table.csv');
    expect(await api('saveExport', csv(target))).toEqual({ status: 200, body: { result: target } });
    expect(existsSync(target)).toBe(true);
  });

  it('refuses `..` and a symbolic link that lead out of the allowed folder', async () => {
    // `link/..` is the parent of the link's target (the root here), as the kernel resolves it.
    const targets = [
      join(allowed, '..', 'outside', 'dots.csv'),
      join(allowed, 'link', 'linked.csv'),
      `${allowed}/link/../escaped.csv`,
    ];
    for (const target of targets) {
      const r = await api('saveExport', csv(target));
      expect([r.status, r.body.code]).toEqual([403, 'FORBIDDEN']);
    }
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(root, 'escaped.csv'))).toBe(false);
  });

  it("writes a pruned model in the open project's folder only once the project is open", async () => {
    const out = join(projectDir, 'pruned.onnx');
    const before = await api('prune', prune(out));
    expect([before.status, before.body.code]).toEqual([403, 'FORBIDDEN']);
    expect(readdirSync(projectDir)).toEqual(['p.memlens.json']);

    expect((await api('openProject', { path: projectFile })).body.error).toBeUndefined();
    const r = await api('prune', prune(out));
    expect(r.status).toBe(200);
    expect((r.body.result as { out: string }).out).toBe(out);
    expect(readdirSync(projectDir).sort()).toEqual(['p.memlens.json', 'pruned.onnx', 'pruned.prune.json']);
    const session = await ort.InferenceSession.create(out);
    expect(session.inputNames.length).toBe(1);

    // The project's folder, not anything else: a prune to the outside is still refused whole.
    const refused = await api('prune', prune(join(outside, 'pruned.onnx')));
    expect([refused.status, refused.body.code]).toEqual([403, 'FORBIDDEN']);
    expect(readdirSync(outside)).toEqual([]);
  }, 120_000);
});

describe('serve --allow-write', () => {
  it('refuses a folder that does not exist, or a file, in one line', async () => {
    const start = (dir: string) =>
      startServer({
        engine: engine(),
        rendererDir: join(root, 'renderer'),
        host: '127.0.0.1',
        port: 0,
        allowWrite: [dir],
      });
    for (const dir of [join(root, 'missing'), projectFile])
      await expect(start(dir)).rejects.toThrow(`cannot allow writes in ${dir}: it is not an existing folder`);
  });
});

describe('the app: IPC writes only where a dialog pointed, with the engine behind it', () => {
  const PAGE = 'app://memlens/index.html';
  const chosen = join(outside, 'chosen.onnx');
  const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>>();
  const policy = new WritePolicy("choose the path with the field's Choose… button");
  registerIpc(
    { handle: (c, l) => void handlers.set(c, l) },
    engine(),
    recordingChoices({ chooseFile: async () => chosen }, policy),
    (u) => u === PAGE,
    policy,
  );
  const invoke = (method: string, req: unknown) =>
    handlers.get(channelOf(method))!({ senderFrame: { url: PAGE } }, req) as Promise<{
      result?: unknown;
      code?: string;
      error?: string;
    }>;

  it('refuses a path no dialog returned, then writes the chosen one and the files beside it', async () => {
    const before = await invoke('prune', prune(chosen));
    expect(before.code).toBe('FORBIDDEN');
    expect(before.error).toBe(
      `prune: writing ${chosen} is not allowed: it is outside the open project's folder; choose the path with the field's Choose… button`,
    );
    expect(readdirSync(outside)).toEqual([]);

    expect(await invoke('chooseFile', { title: 'Save the pruned model', save: true })).toEqual({ result: chosen });
    const r = await invoke('prune', prune(chosen));
    expect(r.code).toBeUndefined();
    expect(readdirSync(outside).sort()).toEqual(['chosen.onnx', 'chosen.prune.json']);
    // Beside it, but not one of its files: still refused.
    expect((await invoke('saveExport', csv(join(outside, 'other.csv')))).code).toBe('FORBIDDEN');
    expect(existsSync(join(outside, 'other.csv'))).toBe(false);
  }, 120_000);
});

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemLensError } from '../../engine/errors.js';
import { createEngine } from '../../engine/index.js';
import { findResourcesDir } from '../../engine/project/project.js';
import { isLoopback, startServer } from '../../serve/server.js';
import { num, str, strs, UsageError } from '../args.js';
import type { Verb } from '../verb.js';

export const serve: Verb = {
  name: 'serve',
  summary: 'The workbench in a browser (HTTP + WebSocket)',
  usage: 'serve [--port P] [--host 127.0.0.1] [--state-dir D] [--allow-write DIR]...',
  description:
    'Serves the workbench to a browser over HTTP and a WebSocket, on 127.0.0.1 unless --host names another address (it then warns: anyone with the URL can reach your files). The first line on stdout is the URL to open, with a random access token; every request needs it. The page writes outputs only inside the open project folder and the folders given with --allow-write. Builds the app page first when it is missing (a fresh clone). Stop with Ctrl-C.',
  options: [
    { name: 'port', value: 'P', help: 'port to listen on (default 0: any free port)' },
    { name: 'host', value: 'H', help: 'address to listen on (default 127.0.0.1)' },
    { name: 'state-dir', value: 'D', help: 'where recent projects and window state are kept (default ~/.memlens)' },
    {
      name: 'allow-write',
      value: 'DIR',
      help: "a folder the page may write outputs in, besides the open project's (repeatable)",
    },
  ],
  async run(args) {
    const port = num(args, 'port') ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
    // The bundle lives in out/cli; the built renderer next to it in out/renderer.
    const here = dirname(fileURLToPath(import.meta.url));
    const rendererDir = join(here, '..', 'renderer');
    // bin/memlens.js builds it on a first run; without it every page would be 'not found'.
    if (!existsSync(join(rendererDir, 'index.html'))) {
      throw new MemLensError(
        'NOT_FOUND',
        `the app page is not built (no ${join(rendererDir, 'index.html')}): run npm run build`,
      );
    }
    const engine = createEngine({
      resourcesDir: findResourcesDir(here),
      stateDir: str(args, 'state-dir') ?? join(homedir(), '.memlens'),
    });
    const host = str(args, 'host') ?? '127.0.0.1';
    const server = await startServer({ engine, rendererDir, host, port, allowWrite: strs(args, 'allow-write') });
    // The URL is the first line on stdout (docs/ARCHITECTURE.md "The CLI contract"): scripts and the e2e test read it.
    process.stdout.write(`${server.url}\n`);
    if (!isLoopback(host)) {
      process.stderr.write(
        `memlens serve: warning: listening on ${host}, reachable from other machines; anyone with the URL can read and write files as you\n`,
      );
    }
    await new Promise<void>((stop) => {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    return 0;
  },
};

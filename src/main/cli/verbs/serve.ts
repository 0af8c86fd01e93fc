import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../../engine/index.js';
import { findResourcesDir } from '../../engine/project/project.js';
import { isLoopback, startServer } from '../../serve/server.js';
import { checkKnown, num, str, UsageError } from '../args.js';
import type { Verb } from '../verb.js';

export const serve: Verb = {
  name: 'serve',
  summary: 'The workbench in a browser (HTTP + WebSocket)',
  usage: 'serve [--port P] [--host 127.0.0.1] [--state-dir D]',
  async run(args) {
    checkKnown(args, ['port', 'host', 'state-dir']);
    const port = num(args, 'port') ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
    // The bundle lives in out/cli; the built renderer next to it in out/renderer.
    const here = dirname(fileURLToPath(import.meta.url));
    const engine = createEngine({
      resourcesDir: findResourcesDir(here),
      stateDir: str(args, 'state-dir') ?? join(homedir(), '.memlens'),
    });
    const host = str(args, 'host') ?? '127.0.0.1';
    const server = await startServer({ engine, rendererDir: join(here, '..', 'renderer'), host, port });
    // The URL is the first line on stdout (DESIGN.md): scripts and the e2e test read it.
    process.stdout.write(`${server.url}\n`);
    if (!isLoopback(host)) {
      process.stderr.write(`memlens serve: warning: listening on ${host}, reachable from other machines; anyone with the URL can read and write files as you\n`);
    }
    await new Promise<void>((stop) => {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    return 0;
  },
};

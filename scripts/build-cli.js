// Bundles the CLI (and the engine behind it) into out/cli/memlens.js with esbuild; native and
// data-carrying packages stay external and are loaded from node_modules at run time.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKERS } from './workers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/**
 * Bundles engine code for Node as one ESM file (the CLI, and the benchmarks' runners). `input` is
 * an entry path or esbuild `stdin` options; `out` the output file.
 */
export async function bundleNode(input, out, { sourcemap = false } = {}) {
  await build({
    ...(typeof input === 'string' ? { entryPoints: [input] } : { stdin: { resolveDir: root, loader: 'ts', ...input } }),
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap,
    external: ['onnxruntime-node', 'sharp', 'protobufjs', 'electron', 'playwright-core'],
    define: { __MEMLENS_VERSION__: JSON.stringify(pkg.version) },
    // Bundled CommonJS dependencies may call require(); give ESM output one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
}

/** Bundles every engine worker (scripts/workers.js) into `dir`, beside a bundle of the engine. */
export async function bundleWorkers(dir) {
  await Promise.all(Object.entries(WORKERS).map(([name, src]) => bundleNode(join(root, src), join(dir, `${name}.js`))));
}

export async function buildCli() {
  await Promise.all([
    bundleNode(join(root, 'src/main/cli/index.ts'), join(root, 'out/cli/memlens.js'), { sourcemap: true }),
    bundleWorkers(join(root, 'out/cli')),
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildCli();
}

import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
// @ts-expect-error: a plain JS list without type declarations
import { WORKERS } from './scripts/workers.js';

const version = JSON.parse(readFileSync(resolve(__dirname, 'package.json'), 'utf8')).version as string;

export default defineConfig({
  main: {
    define: { __MEMLENS_VERSION__: JSON.stringify(version) },
    build: {
      rollupOptions: {
        // The engine runs in a worker thread of its own (src/main/app/engine-worker.ts); its own
        // workers are found beside it (scripts/workers.js, src/main/engine/workers.ts).
        input: {
          index: resolve(__dirname, 'src/main/app/index.ts'),
          'engine-worker': resolve(__dirname, 'src/main/app/engine-worker.ts'),
          ...Object.fromEntries(
            Object.entries(WORKERS as Record<string, string>).map(([name, src]) => [name, resolve(__dirname, src)]),
          ),
        },
        external: ['onnxruntime-node', 'sharp', 'protobufjs'],
        // Shared chunks beside the entries, not in chunks/: engine/workers.ts finds the workers
        // next to the module it is bundled into.
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        // Sandboxed preloads cannot be ES modules.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.js') })],
  },
});

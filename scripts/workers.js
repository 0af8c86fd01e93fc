// The engine's worker threads: each an entry of its own, bundled beside every bundle of the engine
// (scripts/build-cli.js, electron.vite.config.ts, test/support/workers.ts) and found there by
// src/main/engine/workers.ts. Name -> source.
export const WORKERS = {
  'view-worker': 'src/main/engine/infer/view-worker.ts',
  'shard-worker': 'src/main/engine/finetune/shard-worker.ts',
};

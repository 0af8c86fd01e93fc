// Benchmark (issue 3): read + decode + encode + write of a ResNet-50-sized ONNX model (~100 MB), MemLens
// (protobufjs codec) side by side with Debian python3-onnx's onnx.load + onnx.save on the same file.
// Goal: faster than Python; peak RSS under 3x the model size. Peak RSS of each run is measured the
// same way for both, by GNU time on a fresh process.
// Usage: node scripts/bench/onnx-codec.js [runs=3]   (model cached in $TMPDIR/memlens-bench/)
import { bundleNode } from '../build-cli.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runs = Number(process.argv[2] ?? 3);
const work = join(tmpdir(), 'memlens-bench');
mkdirSync(work, { recursive: true });
const model = join(work, 'resnet50.onnx');
const py = join(root, 'scripts', 'bench', 'onnx-codec.py');

if (!existsSync(model)) {
  process.stderr.write('generating a ResNet-50-sized model with torchvision...\n');
  execFileSync('/usr/bin/python3', [py, 'generate', model], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const size = statSync(model).size;

// The MemLens side runs as its own process (like python) so its peak RSS is the codec's alone.
const runner = join(root, 'out', 'bench', 'onnx-codec-run.mjs');
await bundleNode(
  {
    contents: `
      import { open, readFile } from 'node:fs/promises';
      import { decodeModel, encodeModelChunks } from './src/main/engine/onnx/codec.ts';
      const [src, dst] = process.argv.slice(2);
      const t0 = performance.now();
      const bytes = await readFile(src);
      const proto = decodeModel(bytes, src);
      const t1 = performance.now();
      // As saveModel writes: chunks whose weights are the decoded views, no model-sized copy.
      const fh = await open(dst, 'w');
      await fh.writev(encodeModelChunks(proto));
      await fh.close();
      const t2 = performance.now();
      console.log(JSON.stringify({ load_s: (t1 - t0) / 1000, save_s: (t2 - t1) / 1000 }));`,
  },
  runner,
);

/** One run under GNU time: the run's own timings (JSON on stdout) and its peak RSS in bytes. */
function run(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS %M', cmd, ...args], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const rss = Number(/MAXRSS (\d+)/.exec(r.stderr)[1]) * 1024;
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), rss };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sides = {
  memlens: (dst) => run(process.execPath, [runner, model, dst]),
  'python onnx': (dst) => run('/usr/bin/python3', [py, 'measure', model, dst]),
};
const rows = [];
for (const [name, side] of Object.entries(sides)) {
  const dst = join(work, `out-${name.replace(' ', '-')}.onnx`);
  const all = Array.from({ length: runs }, () => side(dst));
  const same = readFileSync(dst).equals(readFileSync(model));
  rmSync(dst);
  rows.push({
    name,
    load: median(all.map((r) => r.load_s)),
    save: median(all.map((r) => r.save_s)),
    total: median(all.map((r) => r.load_s + r.save_s)),
    rss: median(all.map((r) => r.rss)),
    same,
  });
}

const mb = (b) => (b / 2 ** 20).toFixed(0);
console.log(`model ${model}: ${mb(size)} MiB; median of ${runs} runs; each run = read+decode, then encode+write`);
console.log('side          load+decode  encode+save  total    peak RSS  RSS/size  same bytes');
for (const r of rows) {
  console.log(
    `${r.name.padEnd(12)}  ${r.load.toFixed(3).padStart(9)} s  ${r.save.toFixed(3).padStart(9)} s  ${r.total.toFixed(3).padStart(5)} s  ${mb(r.rss).padStart(5)} MiB  ${(r.rss / size).toFixed(2).padStart(7)}x  ${r.same}`,
  );
}
const [js, pyRow] = rows;
console.log(
  `memlens / python total time: ${(js.total / pyRow.total).toFixed(2)} (goal < 1); memlens peak RSS ${(js.rss / size).toFixed(2)}x model size (goal < 3)`,
);

// `npm run bench`: every benchmark of the issues, one after another, each in its own process so
// its timings and peak memory are its own. Pass names to run a subset: npm run bench -- unitmem prune
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), 'bench');
const BENCHES = {
  'onnx-codec': ['onnx-codec.js'], // issue 3: decode + encode of a ~100 MB model vs python onnx
  unitmem: ['unitmem-bench.js'], // issue 4: UnitMem 1000 x 10 views vs PyTorch eager and raw onnxruntime
  prune: ['prune-bench.js'], // issue 13: prune + export of torchvision ResNet-50 at 224; batch-32 latency
  probe: ['probe-linear.js'], // issue 6: linear probe on 10,000 x 512, 10 classes
  finetune: ['finetune-bench.js'], // issue 7: training images/s vs PyTorch eager
  scale: ['scale-bench.js'], // issue 14: ResNet-50 at 224 on 200 JPEGs vs PyTorch eager, wall and peak RSS
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')} (known: ${Object.keys(BENCHES).join(', ')})`);
  process.exit(2);
}
let failed = 0;
for (const [name, [script, ...args]] of Object.entries(BENCHES)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(`\n=== ${name} (${script}) ===`);
  const r = spawnSync(process.execPath, [join(here, script), ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench ${name} exited ${r.status}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);

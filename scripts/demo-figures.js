// Writes the "What MemLens prints" section of resources/demo/README.md from the CLI's own output, so
// the demo's documented LayerMem is what `memlens layermem` prints (with the settings it used), not a
// figure measured some other way. Run after `npm run build:cli`, and again whenever LayerMem changes:
//   node scripts/demo-figures.js
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEMO = join(ROOT, 'resources', 'demo');
const README = join(DEMO, 'README.md');
const BEGIN = '<!-- memlens figures: written by node scripts/demo-figures.js -->';
const END = '<!-- end of memlens figures -->';
const PAIRS = [
  ['CNN', 'ssl-cnn-f.onnx', 'ssl-cnn-g.onnx'],
  ['ViT', 'ssl-vit-f.onnx', 'ssl-vit-g.onnx'],
];
// LayerMem's default views (the CLI's and the app's), then twice as many: how much the figure moves with them.
const VIEWS = [undefined, 10];

/** `memlens ARGS` run in the demo folder, as the README shows it; stdout (progress goes to stderr). */
function memlens(args) {
  return execFileSync(process.execPath, [join(ROOT, 'bin', 'memlens.js'), ...args], {
    cwd: DEMO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

const rows = [];
let example = '';
for (const [arch, f, g] of PAIRS) {
  for (const views of VIEWS) {
    const args = [
      'layermem',
      '--model',
      f,
      '--reference',
      g,
      '--data',
      'data/candidates-images-idx3-ubyte.gz',
      ...(views ? ['--views', String(views)] : []),
    ];
    const doc = JSON.parse(memlens([...args, '--json']));
    const last = doc.layers[doc.layers.length - 1];
    const s = doc.settings;
    rows.push(
      `| ${arch} | ${doc.samples.length} x ${s.views} | ${s.pairing}, ${s.norm}, seed ${s.seed} | \`${last.name}\` | ${last.layermem.toFixed(4)} | \`memlens ${args.join(' ')}\` |`,
    );
    if (!example) example = `$ memlens ${args.join(' ')}\n${memlens(args).trimEnd()}`;
  }
}

const section = `${BEGIN}
## What MemLens prints for these encoders
LayerMem of the last row \`memlens layermem\` measures, as it computes it in this folder (normalization from
\`project.memlens.json\`: mean 0.286, std 0.353). For the ResNet9 that row is the embedding (the global average
pool); for the ViT it is the last block's output over all tokens, before the final LayerNorm and the CLS token
make the embedding the check above measures, so its sign need not agree. A LayerMem figure depends on its
settings: the views per point (5 unless changed, in the CLI and the app alike), the seed, the pairing and the
normalization; each figure here carries them.

| encoders | samples x views | pairing, norm, seed | last row | LayerMem | command |
|---|---|---|---|---|---|
${rows.join('\n')}

Why the check above reads about twice as high for the ResNet9: it measures SSL with the cosine distance
1 - cos, MemLens (like the paper authors' code) with the L2 distance between L2-normalized embeddings,
sqrt(2 (1 - cos)). The per-point normalization (SSL_g - SSL_f) / (SSL_g + SSL_f) is the same, and the square root
roughly halves it; the views differ too (seeded by each tool). The full output at the CLI's defaults:
\`\`\`
${example}
\`\`\`
${END}`;

const text = readFileSync(README, 'utf8');
const at = text.indexOf(BEGIN);
const end = text.indexOf(END);
if (at < 0 || end < at) throw new Error(`${README} has no ${BEGIN} ... ${END} section to fill`);
writeFileSync(README, text.slice(0, at) + section + text.slice(end + END.length));
console.log(`wrote the memlens figures of ${README}`);

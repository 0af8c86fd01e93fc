// Short layer names for charts and tables, where full ONNX node paths
// ("/res1/block1/block1.0/Conv") would crowd the axis. The full name stays the key (and the hover
// text); the short one is the shortest tail of the path that still tells the layers apart.

/** Weight ops named by the module that holds them: "/blocks.0/attn/qkv/MatMul" reads as "qkv". */
const WEIGHT_OP = /^(Conv|Gemm|MatMul)(_\d+)?$/;
/** An op type as torch.onnx names nodes (modules are lower case): alone it says nothing of where. */
const OP = /^[A-Z][A-Za-z]*(_\d+)?$/;

/** Path segments without the module prefixes torch.onnx repeats: "/layer1/layer1.0/Conv" -> layer1.0, Conv. */
function segments(name: string): string[] {
  const s = name.split('/').filter(Boolean);
  return s.filter((seg, i) => !(i + 1 < s.length && s[i + 1].startsWith(`${seg}.`)));
}

/**
 * A short label for every name, unique among `names`: the last segment (with its module when it is
 * an op type), lengthened one segment at a time only where labels collide. A trailing weight op is
 * left off where its module names the layer alone. Names that are not paths come back as they are.
 */
export function shortLayerNames(names: readonly string[]): Map<string, string> {
  const full = names.map(segments);
  const bare = full.map((s) => (s.length > 1 && WEIGHT_OP.test(s[s.length - 1]) ? s.slice(0, -1) : s));
  const bareCount = countOf(bare.map((s) => s.join('/')));
  const segs = bare.map((s, i) => (bareCount.get(s.join('/'))! > 1 ? full[i] : s));
  const take = segs.map((s) => Math.min(OP.test(s[s.length - 1] ?? '') ? 2 : 1, s.length));
  const label = (i: number) => segs[i].slice(segs[i].length - take[i]).join('/');
  for (;;) {
    const counts = countOf(names.map((_, i) => label(i)));
    const grow = names.map((_, i) => i).filter((i) => counts.get(label(i))! > 1 && take[i] < segs[i].length);
    if (grow.length === 0) break;
    for (const i of grow) take[i]++;
  }
  const counts = countOf(names.map((_, i) => label(i)));
  return new Map(names.map((n, i) => [n, counts.get(label(i))! > 1 || segs[i].length === 0 ? n : label(i)]));
}

function countOf(values: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

// How a batch's rows are split between the training shards (shards.ts, docs/FINETUNE.md
// "Data-parallel steps"). Equal parts at first, then in proportion to each shard's measured speed:
// the cores under the shards are not always equal (on a shared host one virtual CPU ran a shard's
// run 20% slower than the other for minutes at a time; laptops mix fast and efficient cores), and
// with equal parts every step waits for the slowest shard.
//
// A shard's speed is a moving average of its ms per row. The split is kept in granules (a share of
// the batch), so the sessions see few distinct batch sizes (onnxruntime plans its memory per input
// shape), and moves only when the new split's predicted step is MIN_GAIN shorter, so noise does
// not make it flap.

/** Granules per shard, at least; a batch of 64 on 2 shards moves 4 rows at a time. */
const GRANULES_PER_SHARD = 8;
const MIN_GRANULES = 16;
/** A new split is taken when its predicted step is this much shorter than the current one's. */
const MIN_GAIN = 0.03;
/** Runs of a batch size not measured: onnxruntime plans its memory on the first, places it on the second. */
const WARM_UP = 2;
/** Weight of the newest run in a shard's ms per row. */
const ALPHA = 0.3;

const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);

export class RowSplit {
  /** Per shard: moving average of ms per row; undefined until it has a measured run. */
  private readonly msPerRow: (number | undefined)[];
  /** Per shard: how often it has run each row count. */
  private readonly runs: Map<number, number>[];
  /** Per shard: its share of the batch in granules. */
  private granules: number[];

  constructor(private readonly shards: number) {
    this.msPerRow = new Array<number | undefined>(shards).fill(undefined);
    this.runs = Array.from({ length: shards }, () => new Map<number, number>());
    this.granules = this.proportional(new Array<number>(shards).fill(1));
  }

  /** `n` rows as [first, count] per shard, in order; every shard has a row where n allows. */
  split(n: number): [number, number][] {
    const total = sum(this.granules);
    const counts = this.granules.map((g) => Math.floor((n * g) / total));
    // the rounding's rows to the shards with the fewest, one each
    for (let left = n - sum(counts); left > 0; left--) counts[counts.indexOf(Math.min(...counts))]++;
    while (counts.includes(0) && Math.max(...counts) > 1) {
      counts[counts.indexOf(Math.max(...counts))]--;
      counts[counts.indexOf(0)]++;
    }
    let first = 0;
    return counts.map((count) => {
      const part: [number, number] = [first, count];
      first += count;
      return part;
    });
  }

  /** One step's rows and each shard's run time in ms: updates the speeds and, where it pays, the split. */
  record(counts: number[], ms: number[]): void {
    counts.forEach((count, s) => {
      const runs = this.runs[s].get(count) ?? 0;
      this.runs[s].set(count, runs + 1);
      if (count === 0 || runs < WARM_UP || !(ms[s] > 0)) return;
      const old = this.msPerRow[s];
      this.msPerRow[s] = old === undefined ? ms[s] / count : old + ALPHA * (ms[s] / count - old);
    });
    if (this.msPerRow.some((v) => v === undefined)) return;
    const perRow = this.msPerRow as number[];
    const next = this.proportional(perRow.map((v) => 1 / v));
    const step = (granules: number[]) => Math.max(...granules.map((g, s) => g * perRow[s]));
    if (step(next) < (1 - MIN_GAIN) * step(this.granules)) this.granules = next;
  }

  /** Granules in proportion to `speeds`, at least one each, summing to the total. */
  private proportional(speeds: number[]): number[] {
    const total = Math.max(MIN_GRANULES, GRANULES_PER_SHARD * this.shards);
    const all = sum(speeds);
    const granules = speeds.map((v) => Math.max(1, Math.round((total * v) / all)));
    while (sum(granules) > total) granules[granules.indexOf(Math.max(...granules))]--;
    while (sum(granules) < total) granules[granules.indexOf(Math.min(...granules))]++;
    return granules;
  }
}

// Calls of an async function that run one after another in the order made, each once the one
// before it has settled: how a trainer takes a step before the last one is done (trainer.ts,
// shard.ts), and how each set of a sharded trainer's rows waits for the step reading it (shards.ts).
export interface InTurn<A extends unknown[], R> {
  (...args: A): Promise<R>;
  /** Settles once every call made so far has (what a release waits for). */
  settled(): Promise<unknown>;
}

export function inTurn<A extends unknown[], R>(f: (...args: A) => Promise<R>): InTurn<A, R> {
  let last: Promise<unknown> = Promise.resolve();
  const call = (...args: A) => {
    const done = last.then(() => f(...args));
    last = done.catch(() => undefined);
    return done;
  };
  return Object.assign(call, { settled: () => last });
}

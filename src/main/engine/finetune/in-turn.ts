// Calls of an async function that run one after another in the order made, each once the one
// before it has settled: how a trainer takes a step before the last one is done (trainer.ts,
// shard.ts).
export function inTurn<A extends unknown[], R>(f: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let last: Promise<unknown> = Promise.resolve();
  return (...args) => {
    const done = last.then(() => f(...args));
    last = done.catch(() => undefined);
    return done;
  };
}

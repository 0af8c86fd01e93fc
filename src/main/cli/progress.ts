import type { JobControl } from '../../shared/api.js';

/**
 * Job control for a CLI verb: progress on stderr (a bar with ETA on a terminal, a line per stage
 * otherwise) and an AbortSignal fired by Ctrl-C, so the engine stops between batches and no
 * partial output file is left.
 */
export function cliJob(): JobControl & { dispose(): void } {
  const ctrl = new AbortController();
  const onSigint = () => {
    if (ctrl.signal.aborted) process.exit(130);
    process.stderr.write('\ncancelling...\n');
    ctrl.abort();
  };
  process.on('SIGINT', onSigint);
  const tty = process.stderr.isTTY === true;
  let stage = '';
  let started = Date.now();
  let last = 0;
  // Notes (the batch picked, where views are cut) wait for the run's first progress: a run that
  // fails before it starts prints its one-line error alone.
  const notes: string[] = [];
  return {
    signal: ctrl.signal,
    onNote(line) {
      notes.push(line);
    },
    onProgress(done, total, st) {
      if (notes.length) process.stderr.write((tty && stage ? '\n' : '') + notes.splice(0).join('\n') + '\n');
      const now = Date.now();
      if (st !== stage) {
        if (tty && stage) process.stderr.write('\n');
        stage = st;
        started = now;
        if (!tty) process.stderr.write(`${st}...\n`);
      }
      if (!tty || (now - last < 100 && done < total)) return;
      last = now;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const width = 30;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      const elapsed = (now - started) / 1000;
      const eta = frac > 0 ? (elapsed * (1 - frac)) / frac : 0;
      process.stderr.write(`\r${stage} [${bar}] ${done}/${total} ETA ${eta.toFixed(0)}s `);
    },
    dispose() {
      process.off('SIGINT', onSigint);
      if (tty && stage) process.stderr.write('\n');
    },
  };
}

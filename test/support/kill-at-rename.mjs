// Preloaded into a CLI run (node --import) by test/unit/hardening/outputs.test.ts: the process kills
// itself with SIGKILL just before its Nth rename (MEMLENS_KILL_AT_RENAME=N), or before the first
// rename to a path ending in MEMLENS_KILL_AT_RENAME_TO: the moment a write becomes visible, so a
// test can check what every such moment leaves on disk.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const at = Number(process.env.MEMLENS_KILL_AT_RENAME);
const to = process.env.MEMLENS_KILL_AT_RENAME_TO;
let seen = 0;
const rename = fs.promises.rename;
fs.promises.rename = async (from, target) => {
  if (++seen === at || (to && String(target).endsWith(to))) {
    process.stderr.write(`@killed-at-rename ${seen}: ${from} -> ${target}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
  return rename(from, target);
};
// The CLI imports `rename` from node:fs/promises by name: update those bindings too.
syncBuiltinESMExports();

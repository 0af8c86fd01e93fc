// Electron fuses of a packaged MemLens (docs/SECURITY.md, "The desktop app"): switches compiled
// into the Electron binary that no environment variable or command-line flag can turn back on.
// Run on the packaged app's executable after packaging: `npm run package:fuses -- <executable>`.
// Not for node_modules/electron: the asar fuses need the app packed into an asar archive.
import { flipFuses, FuseV1Options, FuseVersion } from '@electron/fuses';
import { fileURLToPath } from 'node:url';

export const FUSES = {
  version: FuseVersion.V1,
  // ELECTRON_RUN_AS_NODE would turn the app into a plain Node that runs any script.
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS and --inspect could inject code or attach a debugger to the main process.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // Only the packaged, integrity-checked app.asar is loaded, never loose files beside it.
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // The page is served on app:// (src/main/app/protocol.ts); file:// needs no extra privileges.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const executable = process.argv[2];
  if (!executable) {
    process.stderr.write('usage: npm run package:fuses -- <packaged MemLens executable>\n');
    process.exit(2);
  }
  await flipFuses(executable, FUSES);
  process.stdout.write(`fuses set in ${executable}\n`);
}

/** Injected at build time from package.json (esbuild/vite `define`). */
declare const __MEMLENS_VERSION__: string;

import { defineConfig } from 'vite';

// Preact's JSX through Vite's own transform (no framework plugin needed). No inline script or
// style in the output (the hub serves it under a strict Content-Security-Policy), and no
// module-preload polyfill (every browser the app supports has modulepreload).
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: false,
  },
});

// Vite 7 build of a tiny app that imports 'clerk-rs'. The package's entry uses top-level await
// (it instantiates the wasm on import), so the build target must allow it: es2022.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/vite/',
  logLevel: 'warn',
  build: { target: 'es2022', outDir: process.env.VITE_OUT_DIR ?? 'dist', emptyOutDir: true },
});

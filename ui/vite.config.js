import { defineConfig } from 'vite';

// The bundle goes straight into Maven's classes, so the jar serves it from ui/ on the classpath.
export default defineConfig({
  base: '/ui/',
  build: {
    outDir: '../target/classes/ui',
    emptyOutDir: true,
    // noVNC awaits at its top level (its WebCodecs probe).
    target: 'es2022',
    // Every asset a file of its own: the CSP allows no data: URLs.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
    reportCompressedSize: false,
  },
});

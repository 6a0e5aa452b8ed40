/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The console is served by the platform itself (rentroll dev locally, a
// bucket behind the load balancer in production), so it is built with
// absolute asset paths and calls the API on the same origin by default.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npm run dev` proxies the API and the provider to a running `rentroll dev`.
    proxy: Object.fromEntries(
      ['/v1', '/config.json', '/authorize', '/oauth', '/v2', '/.well-known', '/healthz'].map((p) => [
        p,
        process.env.RENTROLL_API ?? 'http://127.0.0.1:8080',
      ]),
    ),
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    testTimeout: 20_000,
  },
});

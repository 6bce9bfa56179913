import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const server = process.env.LAZYDB_URL ?? 'http://127.0.0.1:4000';

// The admin is built into admin/dist and served by the lazydb server under /admin.
// `npx vite --config admin/vite.config.ts` runs a dev server that proxies the APIs to LAZYDB_URL.
export default defineConfig({
  root: import.meta.dirname,
  base: '/admin/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // react-admin + MUI are one big vendor bundle; it is served from disk with immutable caching.
    chunkSizeWarningLimit: 4000,
  },
  server: {
    proxy: { '/api': server, '/db': server, '/graphql': server },
  },
});

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/*
 * The web console. Sources live in web/; the build lands in dist/web/, which the server serves at `/`
 * (with an SPA fallback to index.html). `npm run dev:web` proxies the API to a server on :8080.
 */
export default defineConfig({
  root: 'web',
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // The server's CSP allows no inline scripts: keep every asset a file, never a data: URL script.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': 'http://localhost:8080',
    },
  },
});

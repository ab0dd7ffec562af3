import { defineConfig } from 'vite';

// served by lendgraph at /designer (see api/app.py); `npm run dev` proxies the API
export default defineConfig({
  base: '/designer/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
    // three pages: the designer (/designer), the dashboard (/dashboard), segments (/segments)
    rollupOptions: { input: { designer: 'index.html', dashboard: 'dashboard.html', segments: 'segments.html' } },
  },
  server: { proxy: { '/graphql': 'http://127.0.0.1:8000' } },
});

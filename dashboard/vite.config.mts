import path from 'node:path';
import { defineConfig } from 'vite';

// The dashboard is served by the gateway at /dashboard (src/app/dashboard.ts), from dist/dashboard after
// `npm run build`. JSX is compiled by Vite's own transform with React's automatic runtime.
export default defineConfig({
  root: import.meta.dirname,
  base: '/dashboard/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: path.resolve(import.meta.dirname, '..', 'dist', 'dashboard'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      onwarn(warning, warn) {
        // React Router marks its modules "use client" for server components; a browser bundle has no use for it.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
});

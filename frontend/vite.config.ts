/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// Django serves the built files: dist/index.html for every page, dist/assets/* under /static/.
// A second entry, the admin's card preview (src/admin/preview.tsx), is linked by the admin's card form
// through dist/.vite/manifest.json (dlquiz/decks/templatetags/admin_preview.py).
export default defineConfig({
  base: "/static/",
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
    manifest: true,
    rollupOptions: {
      input: { main: "index.html", "admin-preview": "src/admin/preview.tsx" },
    },
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    include: ["tests/unit/**/*.test.{ts,tsx}"],
  },
});

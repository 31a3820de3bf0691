// Two apps from one source tree: `--mode console` builds the admin console into
// dist/console (served at /console/), `--mode portal` the user portal into dist/portal
// (served at /portal/). Each build references only URLs under its own prefix.
import { fileURLToPath } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig(({ mode }) => {
  const app = mode === "portal" ? "portal" : "console";
  return {
    root: `${here}src/${app}`,
    base: `/${app}/`,
    publicDir: false,
    plugins: [vue()],
    define: {
      __VUE_OPTIONS_API__: "false",
      __VUE_PROD_DEVTOOLS__: "false",
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: "false",
    },
    build: {
      outDir: `${here}dist/${app}`,
      emptyOutDir: true,
      target: "es2022",
      // No inline scripts (the pages' CSP is script-src 'self'), no polyfill injected into HTML.
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
      reportCompressedSize: false,
    },
    // `npx vite --config console/vite.config.ts --mode console` against `npm start` on :8787.
    server: {
      proxy: Object.fromEntries(["/auth", "/admin", "/plugins", "/v1"].map((path) => [path, { target: "http://127.0.0.1:8787", changeOrigin: false }])),
    },
  };
});

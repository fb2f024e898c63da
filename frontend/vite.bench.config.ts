// Builds the browser benchmarks in bench/ (not part of the app build, which uses vite.config.ts).
// Output goes under node_modules/.cache so it is git-ignored and never shipped.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: `${here}bench`,
  base: "./",
  logLevel: "warn",
  build: {
    outDir: `${here}node_modules/.cache/polypscope-bench`,
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      input: { brush: `${here}bench/brush.html`, playground: `${here}bench/playground.html` },
    },
  },
});

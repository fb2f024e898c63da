// Vite builds the review UI into ../webapp/frontend_dist, which Django serves (whitenoise) at /static/app/.
// `npm run dev` proxies the API and websockets to a Django on 127.0.0.1:8000.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/static/app/",
  build: {
    outDir: "../webapp/frontend_dist",
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/ws": { target: "ws://127.0.0.1:8000", ws: true },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});

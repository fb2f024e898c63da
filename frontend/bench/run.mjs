// Brush latency benchmark runner: `npm run bench:brush`.
// Builds bench/ with vite.bench.config.ts, serves it on 127.0.0.1, opens it in Debian's Chromium
// (headless, software rendering: the slow case, no GPU) through playwright-core, and prints the
// JSON the page computes (see bench/brush.ts for what is measured, bench/README.md for results).
import { startHarness } from "./harness.mjs";

const harness = await startHarness();
let exitCode = 0;
try {
  // Wide and tall enough for the 1920 x 1080 frame at zoom 1 (see brush.html).
  const page = await harness.browser.newPage({ viewport: { width: 1936, height: 1200 } });
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(`${harness.origin}/brush.html`);
  // 3 strokes of 500 frames at 60 Hz take ~25 s; allow slow shared machines 3 minutes.
  await page.waitForFunction(() => document.title === "done" || document.title === "error", null, {
    timeout: 180_000,
  });
  const result = JSON.parse((await page.textContent("#result")) ?? "{}");
  console.log(JSON.stringify(result, null, 2));
  if (result.error) exitCode = 1;
} finally {
  await harness.close();
}
process.exit(exitCode);

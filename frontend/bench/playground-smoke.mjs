// Smoke test of the MaskEditor in Chromium with real mouse and keyboard input, on the
// playground page (bench/playground.ts): tools, keys, polygon closing, undo/redo, zoom/pan,
// toggles, save/markSaved, drafts across a reload, replaceBase. Run: node bench/playground-smoke.mjs
// (exit code 1 on any failed check). A reference for the e2e tests' use of the data-testids.
import { startHarness } from "./harness.mjs";

const harness = await startHarness();
const browser = harness.browser;
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on("pageerror", (e) => console.log("PAGE ERROR", e.message));
  let failures = 0;
  const check = (name, ok, extra = "") => {
    if (!ok) failures++;
    console.log(ok ? "ok  " : "FAIL", name, extra);
  };
  await page.goto(`${harness.origin}/playground.html`);
  await page.waitForSelector('[data-testid="editor-canvas"]');
  await page.waitForTimeout(500);
  const tid = (t) => page.locator(`[data-testid="${t}"]`);
  const box = await tid("editor-canvas").boundingBox();
  const zoomText = await tid("zoom-level").textContent();
  check("fit zoom shown", /%$/.test(zoomText), zoomText);
  // image coords -> client via stage rect
  const toClient = async (x, y) => page.evaluate(([x, y]) => { const r = document.querySelector(".me-stage").getBoundingClientRect(); return [r.left + x * r.width / 640, r.top + y * r.height / 480]; }, [x, y]);
  const maskAt = async (x, y) => page.evaluate(([x, y]) => window.playground.handle.getMask()[y * 640 + x], [x, y]);
  // brush stroke with real mouse
  let [sx, sy] = await toClient(100, 100);
  let [ex, ey] = await toClient(300, 100);
  await page.mouse.move(sx, sy); await page.mouse.down(); await page.mouse.move(ex, ey, { steps: 5 }); await page.mouse.up();
  check("brush painted along stroke", (await maskAt(200, 100)) === 1 && (await maskAt(200, 200)) === 0);
  check("dirty-state", (await tid("dirty-state").textContent()) === "Unsaved changes");
  await page.waitForTimeout(700);
  check("draft written after first stroke", await page.evaluate(() => localStorage.getItem("polypscope:mask-draft:playground") !== null));
  check("cursor visible", await tid("brush-cursor").isVisible());
  check("onDirtyChange called", JSON.stringify(await page.evaluate(() => window.playground.dirtyChanges)) === "[false,true]", JSON.stringify(await page.evaluate(() => window.playground.dirtyChanges)));
  // undo via keyboard
  await page.keyboard.press("Control+z");
  check("ctrl+z undo", (await maskAt(200, 100)) === 0);
  await page.keyboard.press("Control+Shift+Z");
  check("ctrl+shift+z redo", (await maskAt(200, 100)) === 1);
  await page.keyboard.press("Control+z"); await page.keyboard.press("Control+y");
  check("ctrl+y redo", (await maskAt(200, 100)) === 1);
  // tools
  await page.keyboard.press("e");
  check("E -> eraser", (await tid("mask-editor").getAttribute("data-tool")) === "eraser");
  [sx, sy] = await toClient(200, 100);
  await page.mouse.click(sx, sy);
  check("eraser erased", (await maskAt(200, 100)) === 0 && (await maskAt(120, 100)) === 1);
  await page.keyboard.press("b");
  const r0 = await tid("brush-size").inputValue();
  await page.keyboard.press("]"); await page.keyboard.press("]");
  const r1 = await tid("brush-size").inputValue();
  await page.keyboard.press("[");
  const r2 = await tid("brush-size").inputValue();
  check("[ ] size", Number(r1) > Number(r0) && Number(r2) < Number(r1), `${r0} ${r1} ${r2}`);
  // polygon by clicks, close on first vertex
  await page.keyboard.press("p");
  check("P -> polygon", (await tid("mask-editor").getAttribute("data-tool")) === "polygon");
  check("cursor hidden in polygon", !(await tid("brush-cursor").isVisible()));
  const pts = [[400, 300], [500, 300], [500, 400], [400, 400]];
  for (const [x, y] of pts) { const [cx, cy] = await toClient(x, y); await page.mouse.click(cx, cy); await page.waitForTimeout(350); }
  check("polygon open", (await maskAt(450, 350)) === 0);
  { const [cx, cy] = await toClient(401, 301); await page.mouse.click(cx, cy); }
  check("polygon closed on first vertex", (await maskAt(450, 350)) === 1 && (await maskAt(390, 350)) === 0);
  // polygon by double click
  const pts2 = [[50, 300], [150, 300], [150, 400]];
  for (const [x, y] of pts2) { const [cx, cy] = await toClient(x, y); await page.mouse.click(cx, cy); await page.waitForTimeout(350); }
  { const [cx, cy] = await toClient(50, 400); await page.mouse.dblclick(cx, cy); }
  check("polygon closed by double-click", (await maskAt(100, 350)) === 1);
  // Enter closes
  const pts3 = [[550, 50], [600, 50], [600, 100]];
  for (const [x, y] of pts3) { const [cx, cy] = await toClient(x, y); await page.mouse.click(cx, cy); await page.waitForTimeout(350); }
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Enter");
  check("backspace then enter with 2 vertices does not close", (await maskAt(590, 60)) === 0);
  { const [cx, cy] = await toClient(600, 100); await page.mouse.click(cx, cy); }
  await page.keyboard.press("Enter");
  check("enter closes", (await maskAt(590, 60)) === 1);
  await page.keyboard.press("Escape");
  // shortcuts panel
  await page.keyboard.press("?");
  check("? opens panel", await tid("shortcuts-panel").isVisible());
  await page.keyboard.press("Escape");
  check("Esc closes panel", (await tid("shortcuts-panel").count()) === 0);
  // zoom
  const z0 = await tid("zoom-level").textContent();
  await page.keyboard.press("+");
  const z1 = await tid("zoom-level").textContent();
  await page.keyboard.press("-"); await page.keyboard.press("-");
  const z2 = await tid("zoom-level").textContent();
  await page.keyboard.press("0");
  const z3 = await tid("zoom-level").textContent();
  check("zoom keys", parseInt(z1) > parseInt(z0) && parseInt(z2) < parseInt(z1) && z3 === z0, `${z0} ${z1} ${z2} ${z3}`);
  await page.mouse.move(box.x + 300, box.y + 300);
  await page.mouse.wheel(0, -300);
  await page.waitForTimeout(100);
  const z4 = await tid("zoom-level").textContent();
  check("wheel zooms", parseInt(z4) > parseInt(z0), z4);
  // space-drag pan
  const before = await page.evaluate(() => document.querySelector(".me-stage").style.transform);
  await page.keyboard.down(" ");
  await page.mouse.move(box.x + 300, box.y + 300); await page.mouse.down(); await page.mouse.move(box.x + 350, box.y + 340, { steps: 3 }); await page.mouse.up();
  await page.keyboard.up(" ");
  const after = await page.evaluate(() => document.querySelector(".me-stage").style.transform);
  check("space-drag pans", before !== after, `${before} -> ${after}`);
  // middle drag
  await page.mouse.move(box.x + 300, box.y + 300); await page.mouse.down({ button: "middle" }); await page.mouse.move(box.x + 250, box.y + 300, { steps: 3 }); await page.mouse.up({ button: "middle" });
  const after2 = await page.evaluate(() => document.querySelector(".me-stage").style.transform);
  check("middle-drag pans", after2 !== after, after2);
  const onesBeforePan = await page.evaluate(() => window.playground.handle.getMask().reduce((a, b) => a + b, 0));
  // toggles
  await page.keyboard.press("o");
  check("O hides overlay", (await page.evaluate(() => document.querySelectorAll(".me-stage > canvas")[1].style.visibility)) === "hidden");
  await page.keyboard.press("r");
  check("R hides prediction", (await page.evaluate(() => document.querySelectorAll(".me-stage > canvas")[0].style.visibility)) === "hidden");
  await page.keyboard.press("o"); await page.keyboard.press("r");
  // save
  await page.keyboard.press("Control+s");
  const saves = await page.evaluate(() => window.playground.saves.length);
  check("ctrl+s calls onSave", saves === 1);
  const savedOnes = await page.evaluate(() => window.playground.saves[0].reduce((a, b) => a + b, 0));
  check("saved mask is the current mask", savedOnes === onesBeforePan, `${savedOnes} vs ${onesBeforePan}`);
  await page.evaluate(() => window.playground.handle.markSaved());
  await page.waitForTimeout(50);
  check("markSaved clears dirty", (await tid("dirty-state").textContent()) === "All changes saved");
  check("draft cleared", await page.evaluate(() => localStorage.getItem("polypscope:mask-draft:playground") === null));
  // saving prop disables save
  await page.evaluate(() => window.playground.setSaving(true));
  await page.waitForTimeout(50);
  check("save disabled while saving", await tid("save").isDisabled());
  await page.evaluate(() => window.playground.setSaving(false));
  // draft after reload
  await page.keyboard.press("0");
  await page.keyboard.press("b");
  [sx, sy] = await toClient(300, 420); [ex, ey] = await toClient(350, 440);
  await page.mouse.move(sx, sy); await page.mouse.down(); await page.mouse.move(ex, ey, { steps: 4 }); await page.mouse.up();
  await page.waitForTimeout(700);
  check("draft written", await page.evaluate(() => localStorage.getItem("polypscope:mask-draft:playground") !== null));
  await page.reload();
  await page.waitForSelector('[data-testid="draft-restore"]', { timeout: 3000 }).catch(() => {});
  check("draft offered after reload", (await tid("draft-restore").count()) === 1);
  await tid("draft-restore-apply").click();
  await page.waitForTimeout(100);
  check("draft restored", (await maskAt(325, 430)) === 1 && (await tid("dirty-state").textContent()) === "Unsaved changes");
  await page.keyboard.press("Control+z");
  check("restore is undoable", (await maskAt(325, 430)) === 0);
  // replaceBase
  await page.keyboard.press("Control+y");
  await page.evaluate(() => { const m = new Uint8Array(640 * 480); m.fill(1, 10 * 640, 11 * 640); window.playground.handle.replaceBase(m); });
  await page.waitForTimeout(50);
  check("replaceBase shows theirs, not dirty", (await maskAt(5, 10)) === 1 && (await maskAt(325, 430)) === 0 && (await tid("dirty-state").textContent()) === "All changes saved");
  await page.keyboard.press("Control+z");
  check("undo after replaceBase brings mine back", (await maskAt(325, 430)) === 1 && (await maskAt(5, 10)) === 0);
  console.log(failures === 0 ? "all checks passed" : `${failures} checks failed`);
  process.exitCode = failures === 0 ? 0 : 1;
} finally {
  await harness.close();
}

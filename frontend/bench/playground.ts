/**
 * A test page for the MaskEditor without the backend, driven by bench/playground-smoke.mjs (which
 * builds and serves it; for manual use, serve node_modules/.cache/polypscope-bench/ after a build).
 * `?key=...` picks the draft key. Exposes `window.playground` so a browser script can drive it: the editor handle, the masks
 * passed to onSave, and toggles for `saving`.
 */
import { createElement, createRef } from "react";
import { createRoot } from "react-dom/client";
import { MaskEditor, type MaskEditorHandle } from "../src/editor/MaskEditor";

const WIDTH = 640;
const HEIGHT = 480;

interface Playground {
  handle: MaskEditorHandle | null;
  saves: Uint8Array[];
  dirtyChanges: boolean[];
  setSaving(saving: boolean): void;
}

declare global {
  interface Window {
    playground: Playground;
  }
}

function frame(): string {
  const c = document.createElement("canvas");
  c.width = WIDTH;
  c.height = HEIGHT;
  const ctx = c.getContext("2d");
  if (ctx === null) throw new Error("no 2D context");
  ctx.fillStyle = "#b04050";
  ctx.fillRect(0, 0, WIDTH, HEIGHT);
  ctx.fillStyle = "#e08090";
  ctx.beginPath();
  ctx.ellipse(320, 240, 120, 90, 0, 0, 2 * Math.PI);
  ctx.fill();
  return c.toDataURL("image/png");
}

function ellipseMask(cx: number, cy: number, rx: number, ry: number): Uint8Array {
  const m = new Uint8Array(WIDTH * HEIGHT);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < 1) m[y * WIDTH + x] = 1;
  }
  return m;
}

const handle = createRef<MaskEditorHandle>();
const imageUrl = frame();
const base = new Uint8Array(WIDTH * HEIGHT);
const prediction = ellipseMask(330, 245, 110, 80);
const root = createRoot(document.getElementById("root") as HTMLElement);
const pg: Playground = {
  get handle() {
    return handle.current;
  },
  saves: [],
  dirtyChanges: [],
  setSaving: (saving) => render(saving),
};
window.playground = pg;

function render(saving: boolean): void {
  root.render(
    createElement(MaskEditor, {
      ref: handle,
      imageUrl,
      width: WIDTH,
      height: HEIGHT,
      base,
      prediction,
      draftKey: new URLSearchParams(location.search).get("key") ?? "playground",
      saving,
      onSave: (mask) => pg.saves.push(mask),
      onDirtyChange: (dirty) => pg.dirtyChanges.push(dirty),
    }),
  );
}
render(false);

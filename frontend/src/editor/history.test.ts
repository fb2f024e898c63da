import { describe, expect, test } from "vitest";
import { imagePoint } from "../geometry/points";
import {
  canRedo,
  canUndo,
  emptyHistory,
  headId,
  pushEntry,
  redo,
  undo,
  type History,
} from "./history";
import { applyPatch, diffPatch, PatchRecorder, TILE, type Patch } from "./patch";
import { stampSegment } from "./raster";
import { countDifferences } from "./testing";

const W = 300;
const H = 200;

/** Paints a stroke through the recorder, as the brush tool does, and returns its patch. */
function stroke(mask: Uint8Array, x0: number, y0: number, x1: number, y1: number, r = 5): Patch {
  const rec = new PatchRecorder(mask, W, H);
  stampSegment(mask, W, H, imagePoint(x0, y0), imagePoint(x1, y1), r, 1, (rr) => rec.touch(rr));
  const p = rec.finish();
  if (p === null) throw new Error("stroke changed nothing");
  return p;
}

describe("patches", () => {
  test("hold only the changed tiles, not the whole mask", () => {
    const mask = new Uint8Array(W * H);
    const p = stroke(mask, 10, 10, 20, 12);
    expect(p.tiles.length).toBe(1);
    expect(p.bytes).toBe(2 * TILE * TILE);
    expect(p.bytes).toBeLessThan(mask.length);
  });
  test("a diagonal stroke keeps a band of tiles, not its bounding box", () => {
    const mask = new Uint8Array(W * H);
    const p = stroke(mask, 0, 0, 299, 199, 3);
    const tilesInBox = Math.ceil(W / TILE) * Math.ceil(H / TILE);
    expect(p.tiles.length).toBeLessThan(tilesInBox);
  });
  test("applying before then after restores both states", () => {
    const mask = new Uint8Array(W * H);
    const before = mask.slice();
    const p = stroke(mask, 50, 50, 120, 90);
    const after = mask.slice();
    applyPatch(mask, W, p, "before");
    expect(countDifferences(mask, before)).toBe(0);
    applyPatch(mask, W, p, "after");
    expect(countDifferences(mask, after)).toBe(0);
  });
  test("an edit that changes nothing gives no patch", () => {
    const mask = new Uint8Array(W * H).fill(1);
    const rec = new PatchRecorder(mask, W, H);
    stampSegment(mask, W, H, imagePoint(40, 40), imagePoint(80, 40), 6, 1, (r) => rec.touch(r));
    expect(rec.finish()).toBeNull();
  });
  test("diffPatch turns one mask into another", () => {
    const a = new Uint8Array(W * H);
    const b = new Uint8Array(W * H);
    b[150 * W + 250] = 1;
    const p = diffPatch(a, b, W, H);
    expect(p?.tiles.length).toBe(1);
    if (p) applyPatch(a, W, p, "after");
    expect(countDifferences(a, b)).toBe(0);
    expect(diffPatch(a, b, W, H)).toBeNull();
  });
});

describe("history", () => {
  function three(): { mask: Uint8Array; h: History; states: Uint8Array[] } {
    const mask = new Uint8Array(W * H);
    const states = [mask.slice()];
    let h = emptyHistory();
    for (const [x, y] of [[20, 20], [150, 100], [260, 180]] as const) {
      h = pushEntry(h, "stroke", stroke(mask, x, y, x + 10, y));
      states.push(mask.slice());
    }
    return { mask, h, states };
  }

  test("undo walks back through each stroke and redo forward", () => {
    const t = three();
    const { mask, states } = t;
    let h = t.h;
    for (let i = 3; i > 0; i--) {
      const r = undo(h, mask, W);
      expect(r).not.toBeNull();
      if (!r) return;
      h = r.history;
      expect(countDifferences(mask, states[i - 1])).toBe(0);
    }
    expect(undo(h, mask, W)).toBeNull();
    expect(canUndo(h)).toBe(false);
    for (let i = 1; i <= 3; i++) {
      const r = redo(h, mask, W);
      if (!r) throw new Error("nothing to redo");
      h = r.history;
      expect(countDifferences(mask, states[i])).toBe(0);
    }
    expect(canRedo(h)).toBe(false);
  });

  test("a new edit after undo drops the redo branch", () => {
    const { mask, h: h0 } = three();
    const u = undo(h0, mask, W);
    if (!u) throw new Error("nothing to undo");
    expect(canRedo(u.history)).toBe(true);
    const h = pushEntry(u.history, "stroke", stroke(mask, 100, 20, 120, 30));
    expect(canRedo(h)).toBe(false);
    expect(redo(h, mask, W)).toBeNull();
    expect(h.past.length).toBe(3);
  });

  test("undo reports the rect to repaint", () => {
    const { mask, h } = three();
    const r = undo(h, mask, W);
    expect(r?.rect).toEqual(h.past[2]?.patch.rect);
  });

  test("entry cap drops the oldest; head ids stay distinct", () => {
    const mask = new Uint8Array(W * H);
    let h = emptyHistory({ maxEntries: 2, maxBytes: Infinity });
    const ids: number[] = [headId(h)];
    for (let i = 0; i < 4; i++) {
      h = pushEntry(h, "stroke", stroke(mask, 10 + i * 60, 50, 20 + i * 60, 50));
      ids.push(headId(h));
    }
    expect(h.past.length).toBe(2);
    expect(new Set(ids).size).toBe(5);
    // Undo everything left: the head is the last dropped entry, not the base (0), because the mask
    // still holds the two oldest strokes.
    let hh: History = h;
    for (;;) {
      const r = undo(hh, mask, W);
      if (!r) break;
      hh = r.history;
    }
    expect(headId(hh)).toBe(ids[2]);
    expect(headId(hh)).not.toBe(0);
  });

  test("byte cap drops the oldest but always keeps the newest", () => {
    const mask = new Uint8Array(W * H);
    const oneTile = 2 * TILE * TILE;
    let h = emptyHistory({ maxEntries: 100, maxBytes: 2 * oneTile });
    for (let i = 0; i < 4; i++) h = pushEntry(h, "stroke", stroke(mask, 10 + i * 64, 10, 12 + i * 64, 10, 2));
    expect(h.past.length).toBe(2);
    expect(h.bytes).toBeLessThanOrEqual(2 * oneTile);
    const huge = emptyHistory({ maxEntries: 100, maxBytes: 1 });
    const h2 = pushEntry(huge, "stroke", stroke(mask, 100, 150, 110, 150));
    expect(h2.past.length).toBe(1);
  });
});

import { describe, expect, test } from "vitest";
import { imagePoint, type ImagePoint } from "../geometry/points";
import type { Rect } from "../geometry/rect";
import { fillPolygon, stampDisc, stampSegment } from "./raster";
import { countDifferences, seededRandom } from "./testing";

/** Reference: pixel centre within r of segment ab, by brute force over every pixel. */
function referenceCapsule(w: number, h: number, a: ImagePoint, b: ImagePoint, r: number): Uint8Array {
  const out = new Uint8Array(w * h);
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / len2));
      const qx = a.x + t * dx;
      const qy = a.y + t * dy;
      if ((px - qx) ** 2 + (py - qy) ** 2 <= r * r) out[y * w + x] = 1;
    }
  }
  return out;
}

function bbox(mask: Uint8Array, w: number): Rect | null {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const x = i % w;
    const y = Math.floor(i / w);
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x + 1);
    y1 = Math.max(y1, y + 1);
  }
  return x0 === Infinity ? null : { x0, y0, x1, y1 };
}

describe("stampDisc", () => {
  test("a radius-0.5 disc on a pixel centre covers exactly that pixel", () => {
    const m = new Uint8Array(25);
    const dirty = stampDisc(m, 5, 5, imagePoint(2.5, 1.5), 0.5, 1);
    expect(dirty).toEqual({ x0: 2, y0: 1, x1: 3, y1: 2 });
    expect(Array.from(m).reduce((a, b) => a + b, 0)).toBe(1);
    expect(m[1 * 5 + 2]).toBe(1);
  });
  test("radius 2 at a pixel centre is the 13-pixel digital disc", () => {
    const m = new Uint8Array(49);
    stampDisc(m, 7, 7, imagePoint(3.5, 3.5), 2, 1);
    // Offsets (dx, dy) with dx^2 + dy^2 <= 4: 1 + 4 + 4 + 4 = 13.
    expect(Array.from(m).reduce((a, b) => a + b, 0)).toBe(13);
    expect(m[3 * 7 + 5]).toBe(1); // (dx 2, dy 0)
    expect(m[5 * 7 + 5]).toBe(0); // (dx 2, dy 2) is outside
  });
  test("clips at the border and reports only the inside", () => {
    const m = new Uint8Array(100);
    const dirty = stampDisc(m, 10, 10, imagePoint(0, 0), 3, 1);
    expect(dirty).toEqual(bbox(m, 10));
    expect(dirty?.x0).toBe(0);
    expect(dirty?.y0).toBe(0);
  });
  test("outside the image: nothing written, null", () => {
    const m = new Uint8Array(100);
    expect(stampDisc(m, 10, 10, imagePoint(-20, 5), 3, 1)).toBeNull();
    expect(m.every((v) => v === 0)).toBe(true);
  });
  test("value 0 erases", () => {
    const m = new Uint8Array(100).fill(1);
    stampDisc(m, 10, 10, imagePoint(5, 5), 2, 0);
    expect(m[5 * 10 + 5]).toBe(0);
    expect(m[0]).toBe(1);
  });
});

describe("stampSegment", () => {
  test("matches the brute-force capsule on random segments", () => {
    const next = seededRandom(7);
    const w = 61;
    const h = 47;
    for (let i = 0; i < 200; i++) {
      const a = imagePoint(next() * 80 - 10, next() * 65 - 9);
      const b = next() < 0.2 ? a : imagePoint(next() * 80 - 10, next() * 65 - 9);
      const r = 0.3 + next() * 12;
      const m = new Uint8Array(w * h);
      const dirty = stampSegment(m, w, h, a, b, r, 1);
      const want = referenceCapsule(w, h, a, b, r);
      expect(countDifferences(m, want)).toBe(0);
      expect(dirty).toEqual(bbox(want, w));
    }
  });
  test("a fast horizontal move leaves no gap between its ends", () => {
    const w = 200;
    const m = new Uint8Array(w * 20);
    stampSegment(m, w, 20, imagePoint(10, 10), imagePoint(190, 10), 2, 1);
    for (let x = 10; x < 190; x++) expect(m[10 * w + x]).toBe(1);
  });
  test("calls beforeWrite with the dirty rect before writing", () => {
    const m = new Uint8Array(400);
    let seen: Rect | null = null;
    let onesWhenCalled = -1;
    const dirty = stampSegment(m, 20, 20, imagePoint(3, 3), imagePoint(15, 12), 2, 1, (r) => {
      seen = r;
      onesWhenCalled = m.reduce((a, b) => a + b, 0);
    });
    expect(seen).toEqual(dirty);
    expect(onesWhenCalled).toBe(0);
  });
});

describe("fillPolygon", () => {
  test("an axis-aligned rectangle covers the pixels whose centres are inside", () => {
    const w = 10;
    const m = new Uint8Array(100);
    const v = [imagePoint(2, 3), imagePoint(6, 3), imagePoint(6, 5), imagePoint(2, 5)];
    const dirty = fillPolygon(m, w, 10, v, 1);
    expect(dirty).toEqual({ x0: 2, y0: 3, x1: 6, y1: 5 });
    expect(m.reduce((a, b) => a + b, 0)).toBe(8);
  });
  test("a triangle: centres inside are filled, outside are not", () => {
    const w = 20;
    const m = new Uint8Array(400);
    const v = [imagePoint(1, 1), imagePoint(19, 1), imagePoint(1, 19)];
    fillPolygon(m, w, 20, v, 1);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 20; x++) {
        const cx = x + 0.5;
        const cy = y + 0.5;
        const inside = cx >= 1 && cy >= 1 && cx + cy < 20;
        expect(m[y * w + x]).toBe(inside ? 1 : 0);
      }
    }
  });
  test("a pentagram: nonzero fills the centre, evenodd leaves it empty", () => {
    const w = 40;
    const star: ImagePoint[] = [];
    for (let k = 0; k < 5; k++) {
      const angle = -Math.PI / 2 + (k * 4 * Math.PI) / 5; // every second point of a pentagon
      star.push(imagePoint(20 + 18 * Math.cos(angle), 20 + 18 * Math.sin(angle)));
    }
    const nz = new Uint8Array(w * w);
    const eo = new Uint8Array(w * w);
    fillPolygon(nz, w, w, star, 1, "nonzero");
    fillPolygon(eo, w, w, star, 1, "evenodd");
    expect(nz[20 * w + 20]).toBe(1);
    expect(eo[20 * w + 20]).toBe(0);
    // A point in one of the star's arms is filled by both.
    expect(nz[6 * w + 20]).toBe(1);
    expect(eo[6 * w + 20]).toBe(1);
  });
  test("a concave U fills both arms but not the notch", () => {
    const w = 12;
    const m = new Uint8Array(w * w);
    const u = [
      imagePoint(1, 1), imagePoint(4, 1), imagePoint(4, 7), imagePoint(8, 7),
      imagePoint(8, 1), imagePoint(11, 1), imagePoint(11, 11), imagePoint(1, 11),
    ];
    fillPolygon(m, w, w, u, 1);
    expect(m[3 * w + 2]).toBe(1); // left arm
    expect(m[3 * w + 9]).toBe(1); // right arm
    expect(m[3 * w + 6]).toBe(0); // notch
    expect(m[9 * w + 6]).toBe(1); // base
  });
  test("fewer than three vertices fill nothing", () => {
    const m = new Uint8Array(100);
    expect(fillPolygon(m, 10, 10, [imagePoint(1, 1), imagePoint(8, 8)], 1)).toBeNull();
  });
  test("clipped to the image", () => {
    const m = new Uint8Array(100);
    const v = [imagePoint(-5, -5), imagePoint(50, -5), imagePoint(50, 50), imagePoint(-5, 50)];
    expect(fillPolygon(m, 10, 10, v, 1)).toEqual({ x0: 0, y0: 0, x1: 10, y1: 10 });
    expect(m.every((x) => x === 1)).toBe(true);
  });
});

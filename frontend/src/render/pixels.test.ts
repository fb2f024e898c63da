import { describe, expect, test } from "vitest";
import { packRgba } from "./colors";
import { maskRectToPixels, overlayPixels, predictionPixels, REVIEW_OUTLINE_PX } from "./pixels";

describe("packRgba", () => {
  test("bytes in memory are r, g, b, a (the ImageData layout)", () => {
    const px = new Uint32Array([packRgba({ r: 1, g: 2, b: 3, a: 4 })]);
    expect(Array.from(new Uint8Array(px.buffer))).toEqual([1, 2, 3, 4]);
  });
});

describe("maskRectToPixels", () => {
  test("copies only the rect, colour where set, transparent elsewhere", () => {
    // 4 x 3 mask, rect columns 1..2, rows 1..2.
    const mask = Uint8Array.from([
      1, 1, 1, 1,
      0, 1, 0, 0,
      0, 0, 1, 1,
    ]);
    const out = new Uint32Array(4).fill(99);
    maskRectToPixels(mask, 4, { x0: 1, y0: 1, x1: 3, y1: 3 }, 7, out);
    expect(Array.from(out)).toEqual([7, 0, 0, 7]);
  });
  test("writes into a wider scratch buffer with a stride, leaving the rest alone", () => {
    const mask = Uint8Array.from([1, 0, 0, 1]);
    const out = new Uint32Array(6).fill(99); // 3 x 2 scratch
    maskRectToPixels(mask, 2, { x0: 0, y0: 0, x1: 2, y1: 2 }, 7, out, 3);
    expect(Array.from(out)).toEqual([7, 0, 99, 0, 7, 99]);
  });
});

describe("predictionPixels", () => {
  test("a 7 x 7 square: 2 px outline, fill inside, nothing outside", () => {
    const w = 9;
    const mask = new Uint8Array(w * w);
    for (let y = 1; y < 8; y++) for (let x = 1; x < 8; x++) mask[y * w + x] = 1;
    const out = new Uint32Array(w * w);
    predictionPixels(mask, w, w, 1, 2, out);
    expect(out[0]).toBe(0); // outside
    expect(out[1 * w + 1]).toBe(2); // corner
    expect(out[2 * w + 4]).toBe(2); // second ring
    expect(out[3 * w + 4]).toBe(1); // 2 px from every edge is inside -> fill
    expect(out[4 * w + 4]).toBe(1);
  });
  test("a mask touching the border is outlined along the border", () => {
    const mask = new Uint8Array(25).fill(1);
    const out = new Uint32Array(25);
    predictionPixels(mask, 5, 5, 1, 2, out);
    expect(out[0]).toBe(2);
    expect(out[12]).toBe(1);
  });
});

describe("overlayPixels", () => {
  // An 8 x 8 mask with a 6 x 6 square at 1..6.
  const size = 8;
  const mask = new Uint8Array(size * size);
  for (let y = 1; y < 7; y++) for (let x = 1; x < 7; x++) mask[y * size + x] = 1;

  test("fill paints every mask pixel and nothing else", () => {
    const out = new Uint32Array(size * size).fill(99);
    overlayPixels(mask, size, size, "fill", 5, out);
    expect(out.filter((p) => p === 5).length).toBe(36);
    expect(out.filter((p) => p === 0).length).toBe(64 - 36);
  });

  test("outline paints the mask's rim only: the middle stays transparent", () => {
    const big = 12;
    const square = new Uint8Array(big * big);
    for (let y = 1; y < 11; y++) for (let x = 1; x < 11; x++) square[y * big + x] = 1;
    const out = new Uint32Array(big * big).fill(99);
    overlayPixels(square, big, big, "outline", 5, out);
    // A 10 x 10 square with a REVIEW_OUTLINE_PX (3) rim: 100 - 4 x 4 inside.
    expect(REVIEW_OUTLINE_PX).toBe(3);
    expect(out.filter((p) => p === 5).length).toBe(100 - 16);
    expect(out[5 * big + 5]).toBe(0);
    expect(out[6 * big + 6]).toBe(0);
    expect(out[1 * big + 1]).toBe(5);
    expect(out[3 * big + 3]).toBe(5);
    expect(out[0]).toBe(0);
  });
});

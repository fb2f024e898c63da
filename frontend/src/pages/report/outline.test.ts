import { expect, test } from "vitest";
import { maskOutline, outlineThickness } from "./outline";

// A 6 x 5 mask with a 4 x 3 block of polyp at x 1..4, y 1..3.
const W = 6;
const H = 5;
const block = Array.from({ length: W * H }, (_, i) => {
  const x = i % W;
  const y = Math.floor(i / W);
  return x >= 1 && x <= 4 && y >= 1 && y <= 3 ? 1 : 0;
});

const rows = (pixels: Uint8Array) => Array.from({ length: H }, (_, y) => Array.from(pixels.slice(y * W, (y + 1) * W)).join(""));

test("the outline is the mask's rim, never outside the mask", () => {
  expect(rows(maskOutline(block, W, H))).toEqual(["000000", "011110", "010010", "011110", "000000"]);
});

test("a thicker outline grows inward only", () => {
  expect(rows(maskOutline(block, W, H, 2))).toEqual(["000000", "011110", "011110", "011110", "000000"]);
});

test("a mask touching the image's edge is outlined there too; an empty mask has no outline", () => {
  const full = new Array(W * H).fill(1);
  expect(rows(maskOutline(full, W, H))).toEqual(["111111", "100001", "100001", "100001", "111111"]);
  expect(maskOutline(new Array(W * H).fill(0), W, H).every((v) => v === 0)).toBe(true);
});

test("the thickness keeps the line about 2 screen pixels wide", () => {
  expect(outlineThickness(574, 230)).toBe(5);
  expect(outlineThickness(100, 400)).toBe(1);
});

import { expect, test } from "vitest";
import { packRgba, paintMask } from "./overlay";

test("a packed pixel lands as R, G, B, A bytes in memory", () => {
  const out = new Uint32Array(1);
  out[0] = packRgba(1, 2, 3, 4);
  expect(Array.from(new Uint8Array(out.buffer))).toEqual([1, 2, 3, 4]);
  expect(packRgba(1, 2, 3, 4, false)).toBe(0x01020304);
});

test("mask pixels get the colour, the rest turn transparent", () => {
  const out = new Uint32Array([7, 7, 7, 7]);
  paintMask(new Uint8Array([0, 1, 1, 0]), out, 0xff00ff00);
  expect(Array.from(out)).toEqual([0, 0xff00ff00, 0xff00ff00, 0]);
});

import { expect, test } from "vitest";
import { NO_DATA } from "./binning";
import { heatColor, heatLut, paintHeatStrip } from "./colormap";

test("the colour map runs from near black to pale yellow through the stops", () => {
  expect(heatColor(0)).toEqual([0, 0, 4]);
  expect(heatColor(1)).toEqual([252, 255, 164]);
  expect(heatColor(0.5)).toEqual([188, 55, 84]);
  expect(heatColor(0.125)).toEqual([44, 8, 57]);
});

test("scores outside 0..1 and NaN are clamped", () => {
  expect(heatColor(-3)).toEqual(heatColor(0));
  expect(heatColor(7)).toEqual(heatColor(1));
  expect(heatColor(Number.NaN)).toEqual(heatColor(0));
});

test("brightness rises with the score, so a higher score never looks weaker", () => {
  let previous = -1;
  for (let i = 0; i <= 20; i++) {
    const [r, g, b] = heatColor(i / 20);
    const luma = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    expect(luma).toBeGreaterThan(previous);
    previous = luma;
  }
});

test("the lookup table holds 256 colours matching heatColor", () => {
  const lut = heatLut();
  expect(lut.length).toBe(768);
  expect(Array.from(lut.subarray(255 * 3, 256 * 3))).toEqual([252, 255, 164]);
});

test("the painted strip repeats one row per column colour, no data in its own colour", () => {
  const pixels = paintHeatStrip(new Float32Array([0, 1, NO_DATA]), 2, heatLut(), [9, 9, 9]);
  expect(pixels.length).toBe(3 * 2 * 4);
  const row = Array.from(pixels.subarray(0, 12));
  expect(row).toEqual([0, 0, 4, 255, 252, 255, 164, 255, 9, 9, 9, 255]);
  expect(Array.from(pixels.subarray(12, 24))).toEqual(row);
});

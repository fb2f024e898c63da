import { expect, test } from "vitest";
import { heatColor } from "../timeline/colormap";
import { hexToRgba, hueDistance, hueOf, REVIEW_MASK, VERDICT_COLORS } from "./colors";

/** Hue distance below which two saturated colours read as "the same colour" at a glance. */
const MIN_HUE_DISTANCE = 45;
/** Below this chroma (max - min of r, g, b) a colour reads as black or grey, whatever its hue. */
const MIN_CHROMA = 32;

test("hues of the primaries and the wheel's wrap-around", () => {
  expect(hueOf({ r: 255, g: 0, b: 0 })).toBe(0);
  expect(hueOf({ r: 0, g: 255, b: 0 })).toBe(120);
  expect(hueOf({ r: 0, g: 0, b: 255 })).toBe(240);
  expect(hueOf({ r: 9, g: 9, b: 9 })).toBeNaN();
  expect(hueDistance(350, 10)).toBe(20);
  expect(hexToRgba("#3ecf8e")).toEqual({ r: 62, g: 207, b: 142, a: 255 });
});

test("the review mask cannot be taken for a verdict colour", () => {
  const mask = hueOf(REVIEW_MASK);
  for (const hex of Object.values(VERDICT_COLORS)) {
    expect(hueDistance(mask, hueOf(hexToRgba(hex)))).toBeGreaterThanOrEqual(MIN_HUE_DISTANCE);
  }
});

test("the review mask cannot be taken for any colour of the heat strip", () => {
  const mask = hueOf(REVIEW_MASK);
  for (let i = 0; i <= 100; i++) {
    const [r, g, b] = heatColor(i / 100);
    if (Math.max(r, g, b) - Math.min(r, g, b) < MIN_CHROMA) continue; // the strip's near-black low end
    const hue = hueOf({ r, g, b });
    expect(hueDistance(mask, hue), `score ${i / 100}`).toBeGreaterThanOrEqual(MIN_HUE_DISTANCE);
  }
});

import { expect, test } from "vitest";
import { axisRange, epochSeries, epochTicks, linearScale, niceStep, patientRows, seriesDots, seriesPath, ticks } from "./plot";

test("a linear scale maps the domain ends onto the range ends, flipped for SVG's y", () => {
  const y = linearScale([0, 1], [100, 0]);
  expect(y(0)).toBe(100);
  expect(y(1)).toBe(0);
  expect(y(0.25)).toBe(75);
  expect(linearScale([3, 3], [0, 10])(3)).toBe(5);
});

test("tick steps are 1, 2 or 5 times a power of ten", () => {
  expect(niceStep(1, 4)).toBe(0.5);
  expect(niceStep(0.37, 4)).toBe(0.1);
  expect(niceStep(23, 4)).toBe(10);
  expect(niceStep(0.07, 4)).toBe(0.02);
  expect(niceStep(0, 4)).toBe(1);
});

test("the axis range covers the values on whole steps, ignoring nulls", () => {
  expect(axisRange([0.42, null, 0.31, 0.18])).toEqual([0.1, 0.5]);
  expect(axisRange([0.42, 0.31, 0.18], { includeZero: true })).toEqual([0, 0.6]);
  expect(axisRange([0.81, 0.86, 0.9], { floor: 0, ceiling: 1 })).toEqual([0.8, 0.9]);
  expect(axisRange([0.97, 0.99, 1], { floor: 0, ceiling: 1 })).toEqual([0.97, 1]);
});

test("an empty or single-valued series still gets a usable range", () => {
  expect(axisRange([])).toEqual([0, 1]);
  expect(axisRange([null, NaN], { fallback: [0, 2] })).toEqual([0, 2]);
  const [lo, hi] = axisRange([0.5]);
  expect(lo).toBeLessThan(0.5);
  expect(hi).toBeGreaterThan(0.5);
  expect(axisRange([0])).toEqual([-1, 1]);
});

test("ticks fall on the step between the ends", () => {
  expect(ticks([0, 1])).toEqual([0, 0.5, 1]);
  expect(ticks([0, 1], 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  expect(ticks([0.15, 0.45])).toEqual([0.2, 0.3, 0.4]);
  expect(ticks([2, 2])).toEqual([2]);
  expect(epochTicks(5)).toEqual([1, 2, 3, 4, 5]);
  expect(epochTicks(25)).toEqual([1, 4, 7, 10, 13, 16, 19, 22, 25]);
  expect(epochTicks(0)).toEqual([]);
});

test("a series path skips nulls and breaks the line there", () => {
  const x = linearScale([1, 4], [0, 30]);
  const y = linearScale([0, 1], [100, 0]);
  const points = [
    { x: 1, y: 0.5 },
    { x: 2, y: 0.25 },
    { x: 3, y: null },
    { x: 4, y: 1 },
  ];
  expect(seriesPath(points, x, y)).toBe("M0 50 L10 75 M30 0");
  expect(seriesPath([{ x: 1, y: null }], x, y)).toBe("");
  expect(seriesPath([], x, y)).toBe("");
  expect(seriesDots(points, x, y)).toEqual([
    { cx: 0, cy: 50 },
    { cx: 10, cy: 75 },
    { cx: 30, cy: 0 },
  ]);
});

test("epoch series come from the history in epoch order", () => {
  const series = epochSeries([
    { epoch: 2, loss: 0.3, holdout_dice: 0.8 },
    { epoch: 1, loss: 0.5, holdout_dice: null },
  ]);
  expect(series.loss).toEqual([
    { x: 1, y: 0.5 },
    { x: 2, y: 0.3 },
  ]);
  expect(series.dice.map((p) => p.y)).toEqual([null, 0.8]);
});

test("patient rows put the largest drop first", () => {
  const rows = patientRows([
    { patient: "P-1", frames: 10, candidate_dice: 0.9, active_dice: 0.8 },
    { patient: "P-2", frames: 4, candidate_dice: 0.6, active_dice: 0.75 },
    { patient: "P-3", frames: 7, candidate_dice: 0.7, active_dice: 0.7 },
  ]);
  expect(rows.map((r) => r.patient)).toEqual(["P-2", "P-3", "P-1"]);
  expect(rows[0]?.change).toBeCloseTo(-0.15);
});

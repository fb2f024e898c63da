import { describe, expect, test } from "vitest";
import { NO_DATA, binMaxScores, columnFrames, frameColumn, frameToX, spanAtX, spanBand, xToFrame } from "./binning";

describe("binMaxScores", () => {
  test("it keeps the max score of the frames in each column", () => {
    // 8 frames into 4 columns: two frames per column.
    const index = [0, 1, 2, 3, 4, 5, 6, 7];
    const score = [0.1, 0.9, 0.2, 0.3, 0, 0, 0.5, 0.4];
    expect(Array.from(binMaxScores(index, score, 8, 4))).toEqual([Math.fround(0.9), Math.fround(0.3), 0, Math.fround(0.5)]);
  });

  test("it marks columns without a scored frame as no data (a video still processing)", () => {
    const binned = binMaxScores([0, 1], [0.5, 0.25], 8, 4);
    expect(Array.from(binned)).toEqual([0.5, NO_DATA, NO_DATA, NO_DATA]);
  });

  test("it spreads a frame over several columns when frames are fewer than columns", () => {
    expect(Array.from(binMaxScores([0, 1], [0.25, 0.75], 2, 4))).toEqual([0.25, 0.25, 0.75, 0.75]);
  });

  test("it accepts an unsorted, sparse index and ignores frames outside the video", () => {
    const binned = binMaxScores([7, 0, 99, -1], [0.5, 0.25, 1, 1], 8, 2);
    expect(Array.from(binned)).toEqual([0.25, 0.5]);
  });

  test("it bins 18,000 frames into 1,000 columns quickly and exactly", () => {
    const n = 18_000;
    const index = Array.from({ length: n }, (_, i) => i);
    const score = index.map((i) => (i === 12_345 ? 1 : 0.01));
    const started = performance.now();
    const binned = binMaxScores(index, score, n, 1_000);
    expect(performance.now() - started).toBeLessThan(100);
    expect(binned[Math.floor((12_345 * 1_000) / n)]).toBe(1);
    expect(binned.filter((v) => v === 1).length).toBe(1);
  });

  test("it returns nothing for no columns or no frames", () => {
    expect(binMaxScores([0], [1], 0, 10).every((v) => v === NO_DATA)).toBe(true);
    expect(binMaxScores([0], [1], 10, 0).length).toBe(0);
  });
});

describe("frame <-> pixel", () => {
  test("column frames tile the video with no gap or overlap", () => {
    for (const [columns, frames] of [
      [7, 100],
      [100, 7],
      [640, 18_000],
    ] as const) {
      let next = 0;
      for (let c = 0; c < columns; c++) {
        const [first, last] = columnFrames(c, columns, frames);
        expect(last).toBeGreaterThan(first);
        if (frames >= columns) {
          expect(first).toBe(next);
          next = last;
        }
      }
      if (frames >= columns) expect(next).toBe(frames);
    }
  });

  test("frameColumn is the column whose frames hold the frame", () => {
    for (const frame of [0, 1, 499, 17_999]) {
      const c = frameColumn(frame, 640, 18_000);
      const [first, last] = columnFrames(c, 640, 18_000);
      expect(frame).toBeGreaterThanOrEqual(first);
      expect(frame).toBeLessThan(last);
    }
  });

  test("xToFrame inverts frameToX and clamps to the video", () => {
    expect(xToFrame(frameToX(900, 1_800, 600), 600, 1_800)).toBe(900);
    expect(xToFrame(-5, 600, 1_800)).toBe(0);
    expect(xToFrame(600, 600, 1_800)).toBe(1_799);
    expect(xToFrame(10, 600, 0)).toBe(0);
  });
});

describe("event bands", () => {
  test("a band covers its frames, end inclusive", () => {
    expect(spanBand({ start: 100, end: 199 }, 1_000, 500)).toEqual({ x: 50, width: 50 });
  });

  test("a one-frame event on a long video is still 2 px wide and inside the strip", () => {
    expect(spanBand({ start: 5, end: 5 }, 18_000, 600).width).toBe(2);
    const last = spanBand({ start: 17_999, end: 17_999 }, 18_000, 600);
    expect(last.x + last.width).toBeLessThanOrEqual(600);
  });

  test("hit-testing finds the band under x, or a thin band within its padding", () => {
    const spans = [
      { start: 100, end: 199 },
      { start: 5_000, end: 5_000 },
    ];
    expect(spanAtX(spans, 75, 1_000, 500)).toBe(0);
    expect(spanAtX(spans, 10, 1_000, 500)).toBe(-1);
    const thin = spanBand(spans[1]!, 18_000, 600);
    expect(spanAtX(spans, thin.x + thin.width + 1.5, 18_000, 600)).toBe(1);
    expect(spanAtX(spans, thin.x + thin.width + 10, 18_000, 600)).toBe(-1);
  });
});

import { expect, test } from "vitest";
import { mergeLiveEvents } from "./liveEvents";

const e = (start: number, end: number, peak_score = 0.9) => ({ start, end, peak: start, peak_score });

test("new events are added in frame order", () => {
  expect(mergeLiveEvents([e(100, 120)], [e(10, 20)]).map((x) => x.start)).toEqual([10, 100]);
});

test("a repeated event replaces its earlier report", () => {
  const merged = mergeLiveEvents([e(10, 20, 0.7)], [e(10, 35, 0.95)]);
  expect(merged).toEqual([e(10, 35, 0.95)]);
});

test("a full list each time gives the same result as increments", () => {
  const full = mergeLiveEvents(mergeLiveEvents([], [e(1, 2)]), [e(1, 2), e(5, 6)]);
  const incremental = mergeLiveEvents(mergeLiveEvents([], [e(1, 2)]), [e(5, 6)]);
  expect(full).toEqual(incremental);
});

test("null or empty keeps the list", () => {
  const seen = [e(1, 2)];
  expect(mergeLiveEvents(seen, null)).toBe(seen);
  expect(mergeLiveEvents(seen, [])).toBe(seen);
});

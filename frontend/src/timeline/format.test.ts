import { expect, test } from "vitest";
import { formatBytes, formatEta, formatScore, formatTime, frameAtTime, timeOfFrame } from "./format";

test("times read as m:ss.cc and h:mm:ss.cc", () => {
  expect(formatTime(0)).toBe("0:00.00");
  expect(formatTime(61.5)).toBe("1:01.50");
  expect(formatTime(3_723.04)).toBe("1:02:03.04");
  expect(formatTime(Number.NaN)).toBe("–");
});

test("the frame at a media time follows floor(t * fps + 1e-3)", () => {
  expect(frameAtTime(0, 25)).toBe(0);
  // 0.12 * 25 = 2.9999999999999996 in floats: the 1e-3 keeps it frame 3.
  expect(frameAtTime(0.12, 25)).toBe(3);
  expect(frameAtTime(0.119, 25)).toBe(2);
});

test("seeking to a frame's time lands on that frame at common frame rates", () => {
  for (const fps of [24, 25, 29.97, 30, 50, 59.94, 60]) {
    for (const frame of [0, 1, 2, 999, 17_999]) expect(frameAtTime(timeOfFrame(frame, fps), fps)).toBe(frame);
  }
});

test("ETAs, sizes and scores read naturally", () => {
  expect(formatEta(42)).toBe("42 s");
  expect(formatEta(185)).toBe("3 min 5 s");
  expect(formatEta(3_725)).toBe("1 h 2 min");
  expect(formatEta(null)).toBe("–");
  expect(formatBytes(512)).toBe("512 B");
  expect(formatBytes(1_572_864)).toBe("1.5 MB");
  expect(formatScore(0.876)).toBe("0.88");
  expect(formatScore(null)).toBe("–");
});

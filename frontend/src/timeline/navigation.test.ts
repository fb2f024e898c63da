import { describe, expect, test } from "vitest";
import { eventAt, eventFrame, nextUnreviewed, peakTime, sortEvents, stepEvent } from "./navigation";

const ev = (id: number, start: number, end: number, verdict: string | null = null) => ({
  id,
  start_index: start,
  end_index: end,
  peak_index: Math.floor((start + end) / 2),
  verdict,
});

const events = sortEvents([ev(3, 500, 600), ev(1, 100, 200), ev(2, 300, 400, "confirmed")]);

test("events sort by start frame", () => {
  expect(events.map((e) => e.id)).toEqual([1, 2, 3]);
});

test("an event is shown at its start or its peak", () => {
  expect(eventFrame(ev(1, 100, 200), "start")).toBe(100);
  expect(eventFrame(ev(1, 100, 200), "peak")).toBe(150);
});

describe("stepEvent", () => {
  test("from a selected event it moves to the neighbour and stops at the ends", () => {
    expect(stepEvent(events, 1, 0, 1)?.id).toBe(2);
    expect(stepEvent(events, 2, 0, -1)?.id).toBe(1);
    expect(stepEvent(events, 3, 0, 1)).toBeNull();
    expect(stepEvent(events, 1, 0, -1)).toBeNull();
  });

  test("with none selected it goes by the playhead", () => {
    expect(stepEvent(events, null, 250, 1)?.id).toBe(2);
    expect(stepEvent(events, null, 250, -1)?.id).toBe(1);
    expect(stepEvent(events, null, 100, -1)).toBeNull();
    expect(stepEvent(events, null, 700, 1)).toBeNull();
  });

  test("on a fresh page N selects an event that starts at the playhead", () => {
    const fromZero = sortEvents([ev(1, 0, 10), ev(2, 20, 30)]);
    expect(stepEvent(fromZero, null, 0, 1)?.id).toBe(1);
    expect(stepEvent(events, null, 100, 1)?.id).toBe(1);
  });

  test("a selected id no longer in the list falls back to the playhead", () => {
    expect(stepEvent(events, 99, 350, 1)?.id).toBe(3);
  });
});

describe("nextUnreviewed", () => {
  test("it skips events that have a verdict", () => {
    expect(nextUnreviewed(events, 1)?.id).toBe(3);
  });

  test("it wraps to earlier events still without a verdict", () => {
    expect(nextUnreviewed(events, 3)?.id).toBe(1);
  });

  test("it never returns the current event, and null when all others are done", () => {
    const done = sortEvents([ev(1, 0, 1, "confirmed"), ev(2, 5, 6)]);
    expect(nextUnreviewed(done, 2)).toBeNull();
    expect(nextUnreviewed(done, null)?.id).toBe(2);
    expect(nextUnreviewed([], null)).toBeNull();
  });
});

test("eventAt finds the event holding a frame, nearest peak first", () => {
  const overlapping = sortEvents([ev(1, 0, 100), ev(2, 80, 120)]);
  expect(eventAt(overlapping, 50)?.id).toBe(1);
  expect(eventAt(overlapping, 95)?.id).toBe(2);
  expect(eventAt(overlapping, 150)).toBeNull();
});

test("an event's peak time comes from its span in seconds", () => {
  // Frames 10..19 at 5 fps: 2.0 s to 4.0 s; the peak frame 15 starts at 3.0 s.
  expect(peakTime({ start_index: 10, end_index: 19, peak_index: 15, start_s: 2, end_s: 4 })).toBeCloseTo(3);
  expect(peakTime({ start_index: 10, end_index: 10, peak_index: 10, start_s: 2, end_s: 2.2 })).toBeCloseTo(2);
});

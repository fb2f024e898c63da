import { expect, test } from "vitest";
import type { QueuedEvent } from "../../api/types";
import { eventUrl, pickNextVideo } from "./nextVideo";

const row = (id: number, video: number, start: number, patient = "P-1"): QueuedEvent => ({
  id,
  video,
  start_index: start,
  end_index: start + 10,
  peak_index: start + 4,
  peak_score: 0.8,
  start_s: start / 5,
  end_s: (start + 11) / 5,
  verdict: null,
  study: 100 + video,
  patient_pseudo_id: patient,
  video_name: `clip-${video}.mp4`,
});

test("the next video is the queue's first other than this one, opened on its first pending event", () => {
  const queue = [row(1, 7, 0), row(2, 7, 30), row(5, 9, 12, "P-2"), row(6, 9, 40, "P-2"), row(8, 11, 3, "P-3")];
  expect(pickNextVideo(queue, 7)).toEqual({
    video: 9,
    study: 109,
    patient: "P-2",
    name: "clip-9.mp4",
    event: 5,
    peakIndex: 16,
    startS: 12 / 5,
    pending: 2,
  });
  // From a later video the queue's oldest comes first: events skipped there still wait.
  expect(pickNextVideo(queue, 11)?.video).toBe(7);
  // A fully judged video is not in the queue at all.
  expect(pickNextVideo(queue, 3)?.video).toBe(7);
});

test("no other video waiting: null", () => {
  expect(pickNextVideo([row(1, 7, 0)], 7)).toBeNull();
  expect(pickNextVideo([], 7)).toBeNull();
});

test("event links open the event at a frame", () => {
  expect(eventUrl(9, 5, 16)).toBe("/app/videos/9?event=5&frame=16");
});

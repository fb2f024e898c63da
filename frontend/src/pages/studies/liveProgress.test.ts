import { describe, expect, it } from "vitest";
import type { ProgressMessage, Video } from "../../api/types";
import { applyProgress, isFinal } from "./liveProgress";

const video: Video = {
  id: 7, study: 1, original_name: "clip.mp4", status: "queued", frames_done: 0, frame_count: 25, fps: 25,
  duration_s: 1, width: 574, height: 500, size_bytes: 1000, model_version: null, error: "", created_at: "",
  processing_fps: null, events: 0, pending_events: 0,
};
const message = (over: Partial<ProgressMessage>): ProgressMessage => ({
  type: "progress", video: 7, status: "processing", frames_done: 1, frame_count: 25, fps: 4, eta_s: 6,
  events: null, error: null, ...over,
});

describe("applyProgress", () => {
  it("shows the first streamed frame of a queued video at once", () => {
    const row = applyProgress(video, message({ frames_done: 1 }));
    expect(row.status).toBe("processing");
    expect(row.frames_done).toBe(1);
  });

  it("counts the events found so far as pending while the video processes", () => {
    const peak = { start: 10, end: 20, peak: 12, peak_score: 0.9 };
    const row = applyProgress(video, message({ frames_done: 16, events: [peak, peak] }));
    expect([row.events, row.pending_events]).toEqual([2, 2]);
  });

  it("never lowers the frames shown and ignores another video's message", () => {
    const row = applyProgress({ ...video, frames_done: 16 }, message({ frames_done: 8 }));
    expect(row.frames_done).toBe(16);
    expect(applyProgress(video, message({ video: 8, frames_done: 5 }))).toBe(video);
  });

  it("takes a failure's reason, and a final status calls for the row from the API", () => {
    const failed = message({ status: "failed", error: "frame 3 is missing" });
    expect(applyProgress(video, failed).error).toBe("frame 3 is missing");
    expect(isFinal(failed)).toBe(true);
    expect(isFinal(message({}))).toBe(false);
  });
});

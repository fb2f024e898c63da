// "Next" after a video's last event: the next video with events awaiting a verdict, in the review queue's
// order (oldest video first). Pure over the queue's rows; the fetching is in useNextVideo.ts.
import type { QueuedEvent } from "../../api/types";

export interface NextVideo {
  video: number;
  study: number;
  patient: string;
  name: string;
  /** The video's first event awaiting a verdict: the page opens on it, at its peak frame. */
  event: number;
  peakIndex: number;
  startS: number;
  /** Its events awaiting a verdict among the rows read (all of them unless the queue ran past a page). */
  pending: number;
}

/**
 * The first video of the queue other than `currentVideo`. The current video is skipped even when it still
 * has events without a verdict: the page itself goes back to those (N wraps to them before offering this).
 */
export function pickNextVideo(queue: readonly QueuedEvent[], currentVideo: number): NextVideo | null {
  const first = queue.find((e) => e.video !== currentVideo);
  if (!first) return null;
  return {
    video: first.video,
    study: first.study,
    patient: first.patient_pseudo_id,
    name: first.video_name,
    event: first.id,
    peakIndex: first.peak_index,
    startS: first.start_s,
    pending: queue.filter((e) => e.video === first.video).length,
  };
}

/** The video page opened on an event, at a frame (the queue's "Review" and "Next" open the peak frame). */
export function eventUrl(video: number, event: number, frame: number): string {
  return `/app/videos/${video}?event=${event}&frame=${frame}`;
}

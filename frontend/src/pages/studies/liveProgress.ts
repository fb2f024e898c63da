// A study page's video row, brought up to date by its progress websocket (pure: unit-tested).
import type { ProgressMessage, Video } from "../../api/types";

/** The row after a progress message: status, frames and, when the message carries them, the events found so far
 * (while a video processes no event can be judged yet, so all of them are pending). Messages never lower the
 * frames a row shows (a late message of an earlier batch). */
export function applyProgress(video: Video, message: ProgressMessage): Video {
  if (message.video !== video.id) return video;
  const events = message.events?.length;
  return {
    ...video,
    status: message.status,
    frames_done: Math.max(video.frames_done, message.frames_done),
    frame_count: message.frame_count > 0 ? message.frame_count : video.frame_count,
    events: events ?? video.events,
    pending_events: events !== undefined && message.status === "processing" ? events : video.pending_events,
    error: message.error ?? video.error,
  };
}

/** A final status: the row is then read again from the API (model version, judged events, rate). */
export const isFinal = (message: ProgressMessage) => message.status !== "queued" && message.status !== "processing";

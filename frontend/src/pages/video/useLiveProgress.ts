// Live processing of a video: the websocket's progress and the events found so far, a poll of the video row
// and of the heat strip while it runs, and one reload of everything when processing ends.
import { useCallback, useEffect, useRef, useState } from "react";
import type { LiveEvent, ProgressMessage, Video } from "../../api/types";
import { mergeLiveEvents } from "./liveEvents";
import type { Progress } from "./ProcessingBar";
import { useVideoSocket } from "./useVideoSocket";

/** While processing, the heat strip is refreshed this often (ms): it fills in without a request per message. */
const TIMELINE_REFRESH_MS = 15_000;
/**
 * While processing, the video row is also polled this often (ms): a safety net for a "done" message the
 * socket missed (it connected late, or reconnected after the broadcast), so the page never hangs at 99%.
 */
const VIDEO_POLL_MS = 5_000;

export interface LiveProgress {
  /** The socket's last progress, null when none came (yet) or processing ended. */
  progress: Progress | null;
  /** Events the socket reported, without ids yet. */
  liveEvents: LiveEvent[];
  connected: boolean;
  /** The socket was refused (4404): the video is no longer visible. */
  notVisible: boolean;
}

interface LiveProgressOptions {
  videoId: number;
  video: Video | null;
  setVideo: (update: (previous: Video | null) => Video | null) => void;
  reloadVideo: () => void;
  reloadTimeline: () => void;
  reloadEvents: () => void;
}

export function useLiveProgress({ videoId, video, setVideo, reloadVideo, reloadTimeline, reloadEvents }: LiveProgressOptions): LiveProgress {
  const [progress, setProgress] = useState<Progress | null>(null);
  const [liveEvents, setLiveEvents] = useState<LiveEvent[]>([]);
  const active = video?.status === "queued" || video?.status === "processing";

  const onMessage = useCallback(
    (message: ProgressMessage) => {
      setProgress({ status: message.status, framesDone: message.frames_done, frameCount: message.frame_count, fps: message.fps, etaS: message.eta_s });
      setLiveEvents((seen) => mergeLiveEvents(seen, message.events));
      setVideo((current) =>
        current
          ? {
              ...current,
              status: message.status,
              frames_done: message.frames_done,
              frame_count: message.frame_count || current.frame_count,
              error: message.error ?? current.error,
            }
          : current,
      );
    },
    [setVideo],
  );
  const socket = useVideoSocket(videoId, active, onMessage);

  // When processing ends, the database has the real timeline and events (with ids): load them.
  const wasActive = useRef(false);
  const loaded = video !== null;
  useEffect(() => {
    if (!loaded) return;
    if (wasActive.current && !active) {
      reloadVideo();
      reloadTimeline();
      reloadEvents();
      setLiveEvents([]);
      setProgress(null);
    }
    wasActive.current = active;
  }, [loaded, active, reloadVideo, reloadTimeline, reloadEvents]);

  useEffect(() => {
    if (!active) return;
    const timeline = setInterval(reloadTimeline, TIMELINE_REFRESH_MS);
    const row = setInterval(reloadVideo, VIDEO_POLL_MS);
    return () => {
      clearInterval(timeline);
      clearInterval(row);
    };
  }, [active, reloadTimeline, reloadVideo]);

  return { progress, liveEvents, connected: socket.connected, notVisible: socket.notVisible };
}

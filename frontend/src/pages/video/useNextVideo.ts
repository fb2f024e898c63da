// The next video with events awaiting a verdict (nextVideo.ts picks it from the review queue), read when
// the page needs it: at the end of this video's events.
import { useEffect, useState } from "react";
import { toApiError } from "../../api/useApi";
import { pickNextVideo, type NextVideo } from "./nextVideo";
import { getReviewQueuePage } from "./reviewApi";

/** Pages read at most (500 rows each) before giving up on finding another video. */
const MAX_PAGES = 10;

export type NextVideoState = { status: "idle" | "loading" } | { status: "ready"; next: NextVideo | null } | { status: "error"; message: string };

/** Reads the queue each time `enabled` turns on. */
export function useNextVideo(videoId: number, enabled: boolean): NextVideoState {
  const [state, setState] = useState<NextVideoState>({ status: "idle" });
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    setState({ status: "loading" });
    (async () => {
      for (let page = 1; page <= MAX_PAGES; page++) {
        const rows = await getReviewQueuePage(page, controller.signal);
        const next = pickNextVideo(rows.results, videoId);
        if (next || rows.next === null) return next;
      }
      return null;
    })().then(
      (next) => !controller.signal.aborted && setState({ status: "ready", next }),
      (reason: unknown) => !controller.signal.aborted && setState({ status: "error", message: toApiError(reason).detail }),
    );
    return () => controller.abort();
  }, [videoId, enabled]);
  return enabled ? state : { status: "idle" };
}

// Correction queue items -> the editor page that fixes them, and how a row names its item.
import type { CorrectionItem } from "../../api/types";
import { formatTime } from "../../timeline/format";

/** The editor route for an item, or null when the item lacks the ids its kind needs. */
export function correctionLink(item: CorrectionItem): string | null {
  if (item.kind === "frame") return item.video !== null && item.frame !== null ? `/app/videos/${item.video}/frames/${item.frame}/edit` : null;
  return item.image !== null ? `/app/images/${item.image}/edit` : null;
}

/** A stable React key: items have no id of their own. */
export function correctionKey(item: CorrectionItem): string {
  return item.kind === "frame" ? `f${item.video}:${item.frame}` : `i${item.image}`;
}

/** Names, not ids: "colonoscopy-a.mp4 · frame 89 (0:03.56)" or the image's file name. */
export function correctionWhat(item: CorrectionItem): string {
  if (item.kind === "frame") {
    const name = item.name || `video ${item.video}`;
    const time = item.time_s !== null && item.time_s !== undefined ? ` (${formatTime(item.time_s)})` : "";
    return `${name} · frame ${item.frame}${time}`;
  }
  return item.name || `still image ${item.image}`;
}

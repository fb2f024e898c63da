// Correction queue items -> the editor page that fixes them.
import type { CorrectionItem } from "../../api/types";

/** The editor route for an item, or null when the item lacks the ids its kind needs. */
export function correctionLink(item: CorrectionItem): string | null {
  if (item.kind === "frame") return item.video !== null && item.frame !== null ? `/app/videos/${item.video}/frames/${item.frame}/edit` : null;
  return item.image !== null ? `/app/images/${item.image}/edit` : null;
}

/** A stable React key: items have no id of their own. */
export function correctionKey(item: CorrectionItem): string {
  return item.kind === "frame" ? `f${item.video}:${item.frame}` : `i${item.image}`;
}

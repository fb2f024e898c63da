// Events the processing websocket reports before they exist as rows with ids.
import type { LiveEvent } from "../../api/types";

/**
 * Merge a message's events into those seen so far, keyed by start frame (a later report of the same
 * event, e.g. with a grown end, replaces the earlier one). Works whether the server sends every event
 * so far or only new ones. null (nothing new) keeps the list as it is.
 */
export function mergeLiveEvents(seen: readonly LiveEvent[], incoming: readonly LiveEvent[] | null): LiveEvent[] {
  if (!incoming || incoming.length === 0) return seen as LiveEvent[];
  const byStart = new Map<number, LiveEvent>();
  for (const event of seen) byStart.set(event.start, event);
  for (const event of incoming) byStart.set(event.start, event);
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

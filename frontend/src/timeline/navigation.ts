// Moving between events: which one N/P and "after a verdict" go to. Pure, over any event-like shape.

export interface NavEvent {
  id: number;
  start_index: number;
  peak_index: number;
  verdict: unknown;
}

export type JumpTarget = "start" | "peak";

/** The frame an event is shown at. */
export function eventFrame(event: Pick<NavEvent, "start_index" | "peak_index">, jump: JumpTarget): number {
  return jump === "start" ? event.start_index : event.peak_index;
}

/** Events in video order (by start, then peak), the order of the list and of N/P. */
export function sortEvents<T extends NavEvent>(events: readonly T[]): T[] {
  return [...events].sort((a, b) => a.start_index - b.start_index || a.peak_index - b.peak_index || a.id - b.id);
}

/**
 * The event N (direction 1) or P (-1) goes to. From a selected event: its neighbour in the list. With
 * none selected: the first event starting at or after the playhead (N; so N on a fresh page selects an
 * event that starts at frame 0) or the last starting before it (P).
 * Stops at the ends (null) rather than wrapping, so holding N cannot loop unnoticed.
 */
export function stepEvent<T extends NavEvent>(sorted: readonly T[], selectedId: number | null, frame: number, direction: 1 | -1): T | null {
  const position = selectedId === null ? -1 : sorted.findIndex((e) => e.id === selectedId);
  if (position >= 0) return sorted[position + direction] ?? null;
  if (direction === 1) return sorted.find((e) => e.start_index >= frame) ?? null;
  for (let i = sorted.length - 1; i >= 0; i--) if (sorted[i]!.start_index < frame) return sorted[i]!;
  return null;
}

/**
 * Where to go after a verdict: the next event without one, searching forward from the current event and
 * wrapping to the start (earlier events skipped on the way still need a verdict). Null when every other
 * event has one.
 */
export function nextUnreviewed<T extends NavEvent>(sorted: readonly T[], currentId: number | null): T | null {
  const position = currentId === null ? -1 : sorted.findIndex((e) => e.id === currentId);
  for (let step = 1; step <= sorted.length; step++) {
    const candidate = sorted[(position + step + sorted.length) % sorted.length]!;
    if (candidate.id !== currentId && candidate.verdict === null) return candidate;
  }
  return null;
}

/** The event whose span holds the frame, preferring the one whose peak is nearest. */
export function eventAt<T extends NavEvent & { end_index: number }>(sorted: readonly T[], frame: number): T | null {
  let best: T | null = null;
  for (const event of sorted) {
    if (event.start_index <= frame && frame <= event.end_index) {
      if (best === null || Math.abs(event.peak_index - frame) < Math.abs(best.peak_index - frame)) best = event;
    }
  }
  return best;
}

/**
 * Seconds into the video of an event's peak, from the event's span in seconds (start_s is its first frame's
 * start, end_s its last frame's end), so it needs no frame rate.
 */
export function peakTime(event: { start_index: number; end_index: number; peak_index: number; start_s: number; end_s: number }): number {
  const frames = event.end_index - event.start_index + 1;
  if (frames <= 0) return event.start_s;
  return event.start_s + ((event.peak_index - event.start_index) * (event.end_s - event.start_s)) / frames;
}

// Pure helpers of the editor's propagation panel: the run of proposals around a frame, and what a walk's stop
// means in words. No DOM.
import type { Propagation, StopReason } from "../../api/propagation";

/** The contiguous run of proposal frames that contains `frame` or starts next to it (frame ± 1), as
 * [first, last]; null when no proposal touches the frame. `frames` need not be sorted. */
export function runAround(frames: readonly number[], frame: number): [number, number] | null {
  const set = new Set(frames);
  let seed: number | null = null;
  for (const candidate of [frame, frame + 1, frame - 1]) {
    if (set.has(candidate)) {
      seed = candidate;
      break;
    }
  }
  if (seed === null) return null;
  let first = seed;
  let last = seed;
  while (set.has(first - 1)) first -= 1;
  while (set.has(last + 1)) last += 1;
  return [first, last];
}

export const STOP_REASONS: Record<StopReason, string> = {
  limit: "the requested number of frames",
  end: "the end of the video",
  scene_change: "a scene change",
  low_consistency: "the flow lost the polyp and the model did not see it",
  keyframe: "the next frame a person corrected (blended with it)",
};

/** One sentence per direction, e.g. "Forward: frames 13–37, stopped at a scene change." */
export function describeResult(job: Propagation): string[] {
  const lines: string[] = [];
  for (const [name, dir] of [["Forward", job.result.forward], ["Backward", job.result.backward]] as const) {
    if (!dir) continue;
    const a = dir.frames[0];
    const b = dir.frames[dir.frames.length - 1] ?? a;
    const reach =
      a === undefined || b === undefined ? "no frames" : a === b ? `frame ${a}` : `frames ${Math.min(a, b)}–${Math.max(a, b)}`;
    lines.push(`${name}: ${reach}, stopped at ${STOP_REASONS[dir.stop_reason] ?? dir.stop_reason}.`);
  }
  return lines;
}

/** The frames a finished propagation reached, both directions together, as [first, last]; null when none. Accepting
 * that range accepts every proposal of it (the corrected keyframe between is a person's revision, left alone). */
export function reachedRange(job: Propagation): [number, number] | null {
  const frames = [...(job.result.forward?.frames ?? []), ...(job.result.backward?.frames ?? [])];
  if (frames.length === 0) return null;
  return [Math.min(...frames), Math.max(...frames)];
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/**
 * Tools as small state machines over EditorState.gesture:
 *
 *   brush / eraser:  idle --down--> stroke --move*--> stroke --up/cancel--> idle (+1 undo entry)
 *                    Escape during a stroke reverts it (no entry).
 *   polygon:         idle --click--> polygon(1 vertex) --click--> polygon(n + 1) ...
 *                    polygon --Enter / double-click / click on the first vertex--> idle (+1 entry)
 *                    polygon --Escape--> idle;  --Backspace--> one vertex fewer (idle at 0)
 *   any tool:        space+drag or middle-drag --> pan --up--> idle
 *
 * Inputs are screen points (CSS px in the viewport), mapped through the current view here, so the
 * mapping is tested with the tools rather than trusted to the DOM glue.
 */
import { clampToImage, distance, type ImagePoint, type ScreenPoint } from "../geometry/points";
import { unionRect, type Rect } from "../geometry/rect";
import { panBy, screenToImage } from "../geometry/view";
import { applyPatch, PatchRecorder } from "./patch";
import { fillPolygon, stampSegment, type MaskValue } from "./raster";
import { only, type ActionResult, type EditorState } from "./state";

/** Clicking within 10 screen px of the first vertex closes the polygon: an easy target for a
 * mouse at any zoom (it is measured on screen, not in image px). */
export const CLOSE_DISTANCE_SCREEN_PX = 10;

export interface PointerDownInput {
  readonly point: ScreenPoint;
  readonly pointerId: number;
  /** MouseEvent.button: 0 primary, 1 middle, 2 secondary. */
  readonly button: number;
  /** Space is held: the primary button pans instead of drawing. */
  readonly panModifier: boolean;
}

function closeDistanceImage(s: EditorState): number {
  return CLOSE_DISTANCE_SCREEN_PX / s.view.zoom;
}

export function pointerDown(s: EditorState, input: PointerDownInput): ActionResult {
  if (s.gesture.kind === "stroke" || s.gesture.kind === "pan") return only(s); // a second pointer
  if (input.button === 1 || (input.button === 0 && input.panModifier)) {
    return only({ ...s, gesture: { kind: "pan", pointerId: input.pointerId, last: input.point } });
  }
  if (input.button !== 0) return only(s);
  const p = screenToImage(s.view, input.point);
  if (s.tool === "polygon") return polygonClick(s, p);
  const value: MaskValue = s.tool === "eraser" ? 0 : 1;
  const recorder = new PatchRecorder(s.mask, s.width, s.height);
  const dirty = stampSegment(s.mask, s.width, s.height, p, p, s.brushRadius, value, (r) =>
    recorder.touch(r),
  );
  return {
    state: {
      ...s,
      gesture: { kind: "stroke", pointerId: input.pointerId, value, last: p, recorder },
      hover: p,
      revision: dirty === null ? s.revision : s.revision + 1,
    },
    dirty,
    entry: null,
  };
}

/** Pointer moved; `points` are the coalesced positions since the last event, oldest first. */
export function pointerMove(
  s: EditorState,
  points: readonly ScreenPoint[],
  pointerId: number,
): ActionResult {
  const newest = points[points.length - 1];
  if (newest === undefined) return only(s);
  const g = s.gesture;
  if (g.kind === "pan") {
    if (pointerId !== g.pointerId) return only(s);
    const view = panBy(s.view, newest.x - g.last.x, newest.y - g.last.y);
    return only({ ...s, view, gesture: { ...g, last: newest } });
  }
  if (g.kind === "stroke") {
    if (pointerId !== g.pointerId) return only(s);
    let last = g.last;
    let dirty: Rect | null = null;
    for (const sp of points) {
      const p = screenToImage(s.view, sp);
      const r = stampSegment(s.mask, s.width, s.height, last, p, s.brushRadius, g.value, (rr) =>
        g.recorder.touch(rr),
      );
      dirty = unionRect(dirty, r);
      last = p;
    }
    return {
      state: {
        ...s,
        gesture: { ...g, last },
        hover: last,
        revision: dirty === null ? s.revision : s.revision + 1,
      },
      dirty,
      entry: null,
    };
  }
  return only({ ...s, hover: screenToImage(s.view, newest) });
}

/** Pointer released or cancelled: a stroke becomes one undo entry (none if it changed nothing). */
export function pointerUp(s: EditorState, pointerId: number): ActionResult {
  const g = s.gesture;
  if (g.kind === "pan" && g.pointerId === pointerId) return only({ ...s, gesture: { kind: "idle" } });
  if (g.kind !== "stroke" || g.pointerId !== pointerId) return only(s);
  return finishStroke(s);
}

/** Ends the stroke in progress, keeping what it painted (used before undo, save, tool changes). */
export function finishStroke(s: EditorState): ActionResult {
  const g = s.gesture;
  if (g.kind !== "stroke") return only(s);
  const patch = g.recorder.finish();
  return {
    state: { ...s, gesture: { kind: "idle" } },
    dirty: null,
    entry: patch === null ? null : { label: g.value === 1 ? "stroke" : "erase", patch },
  };
}

export function pointerLeave(s: EditorState): ActionResult {
  return s.hover === null || s.gesture.kind === "stroke" ? only(s) : only({ ...s, hover: null });
}

function polygonClick(s: EditorState, raw: ImagePoint): ActionResult {
  const p = clampToImage(raw, s.width, s.height);
  const g = s.gesture;
  if (g.kind !== "polygon") {
    return only({ ...s, gesture: { kind: "polygon", vertices: [p] }, hover: p });
  }
  const first = g.vertices[0];
  if (first !== undefined && g.vertices.length >= 3 && distance(first, p) <= closeDistanceImage(s)) {
    return closePolygon(s);
  }
  return only({ ...s, gesture: { kind: "polygon", vertices: [...g.vertices, p] }, hover: p });
}

/** Fills the polygon in progress with 1 (nonzero rule) as one undo entry. Fewer than 3 vertices:
 * nothing to fill, the polygon stays open. */
export function closePolygon(s: EditorState): ActionResult {
  const g = s.gesture;
  if (g.kind !== "polygon" || g.vertices.length < 3) return only(s);
  const recorder = new PatchRecorder(s.mask, s.width, s.height);
  const dirty = fillPolygon(s.mask, s.width, s.height, g.vertices, 1, "nonzero", (r) =>
    recorder.touch(r),
  );
  const patch = recorder.finish();
  return {
    state: {
      ...s,
      gesture: { kind: "idle" },
      revision: dirty === null ? s.revision : s.revision + 1,
    },
    dirty,
    entry: patch === null ? null : { label: "polygon", patch },
  };
}

/** Double-click closes the polygon. The browser has already delivered the double-click's two
 * clicks as two vertices at (almost) the same place; the duplicate is dropped first. */
export function doubleClick(s: EditorState): ActionResult {
  const g = s.gesture;
  if (g.kind !== "polygon") return only(s);
  const n = g.vertices.length;
  const a = g.vertices[n - 2];
  const b = g.vertices[n - 1];
  let vertices = g.vertices;
  if (a !== undefined && b !== undefined && distance(a, b) <= closeDistanceImage(s)) {
    vertices = g.vertices.slice(0, -1);
  }
  return closePolygon({ ...s, gesture: { kind: "polygon", vertices } });
}

/** Backspace: drops the newest vertex; the polygon is cancelled when none are left. */
export function removeLastVertex(s: EditorState): ActionResult {
  const g = s.gesture;
  if (g.kind !== "polygon") return only(s);
  const vertices = g.vertices.slice(0, -1);
  return only({ ...s, gesture: vertices.length === 0 ? { kind: "idle" } : { kind: "polygon", vertices } });
}

/** Escape: drops a polygon in progress, or reverts the stroke in progress (no undo entry). */
export function cancelGesture(s: EditorState): ActionResult {
  const g = s.gesture;
  if (g.kind === "polygon" || g.kind === "pan") return only({ ...s, gesture: { kind: "idle" } });
  if (g.kind !== "stroke") return only(s);
  const patch = g.recorder.finish();
  let dirty: Rect | null = null;
  if (patch !== null) dirty = applyPatch(s.mask, s.width, patch, "before");
  return {
    state: { ...s, gesture: { kind: "idle" }, revision: dirty === null ? s.revision : s.revision + 1 },
    dirty,
    entry: null,
  };
}

/**
 * Actions that are not pointer gestures (those are in tools.ts): tool and brush settings, undo and
 * redo, the view, overlay toggles, whole-mask replacement and the saved marker. Same contract:
 * (state, ...) -> ActionResult.
 */
import { clamp, screenPoint } from "../geometry/points";
import { fitToContainer, zoomAbout, type ViewTransform } from "../geometry/view";
import type { Mask } from "../mask/rle";
import { headId, pushEntry, redo, undo, type EditLabel } from "./history";
import { applyPatch, diffPatch, type Patch } from "./patch";
import {
  MAX_BRUSH_RADIUS,
  MIN_BRUSH_RADIUS,
  only,
  type ActionResult,
  type EditorState,
  type ToolKind,
} from "./state";
import { cancelGesture, finishStroke } from "./tools";

/** Zoom buttons and + / - keys step by 1.25x: 3 steps double the zoom, fine enough to pick a level. */
export const ZOOM_STEP = 1.25;
/** Padding around the image when fitting, in CSS px, so its edge is not under the viewport border. */
export const FIT_PADDING_PX = 8;

/** Switching tools ends a stroke (keeping it) and drops an unfinished polygon. */
export function setTool(s: EditorState, tool: ToolKind): ActionResult {
  if (s.tool === tool) return only(s);
  const ended = s.gesture.kind === "stroke" ? finishStroke(s) : cancelGesture(s);
  return { ...ended, state: { ...ended.state, tool } };
}

export function setBrushRadius(s: EditorState, radius: number): ActionResult {
  const r = clamp(Math.round(radius), MIN_BRUSH_RADIUS, MAX_BRUSH_RADIUS);
  return r === s.brushRadius ? only(s) : only({ ...s, brushRadius: r });
}

/** [ and ]: steps of ~20 % (at least 1 px), so both a 2 px and a 200 px brush resize in a few
 * presses, as in image editors whose step grows with the size. */
export function stepBrushRadius(s: EditorState, direction: 1 | -1): ActionResult {
  const r = s.brushRadius;
  const step = Math.max(1, Math.round(r * 0.2));
  return setBrushRadius(s, r + direction * step);
}

/** Undo. A stroke in progress is finished first, so it is what gets undone. With a polygon in
 * progress, undo removes its last vertex instead (what the user just did). */
export function undoAction(s: EditorState): ActionResult {
  if (s.gesture.kind === "polygon") {
    const vertices = s.gesture.vertices.slice(0, -1);
    return only({
      ...s,
      gesture: vertices.length === 0 ? { kind: "idle" } : { kind: "polygon", vertices },
    });
  }
  if (s.gesture.kind === "stroke") {
    // Record the stroke, then undo it: the store applies entries, so do both here.
    const ended = finishStroke(s);
    if (ended.entry === null) return ended;
    const recorded = withEntry(ended.state, ended.entry.label, ended.entry.patch);
    return undoAction(recorded);
  }
  const r = undo(s.history, s.mask, s.width);
  if (r === null) return only(s);
  return {
    state: { ...s, history: r.history, revision: s.revision + 1 },
    dirty: r.rect,
    entry: null,
  };
}

export function redoAction(s: EditorState): ActionResult {
  if (s.gesture.kind !== "idle" && s.gesture.kind !== "pan") return only(s);
  const r = redo(s.history, s.mask, s.width);
  if (r === null) return only(s);
  return {
    state: { ...s, history: r.history, revision: s.revision + 1 },
    dirty: r.rect,
    entry: null,
  };
}

/** Replaces the whole mask (someone else's revision after a conflict, a restored draft) as one
 * undo entry, so the user's own edit stays one undo away. `asSaved` marks the new mask as what the
 * server has (true for someone else's revision, false for a draft, which is unsaved work). */
export function replaceMask(
  s: EditorState,
  next: Mask,
  label: EditLabel,
  asSaved: boolean,
): ActionResult {
  if (next.length !== s.mask.length) {
    throw new Error(`replacement mask has ${next.length} bytes, expected ${s.width} x ${s.height}`);
  }
  const ended = s.gesture.kind === "stroke" ? finishStroke(s) : cancelGesture(s);
  let state = ended.entry === null ? ended.state : withEntry(ended.state, ended.entry.label, ended.entry.patch);
  const normalized = new Uint8Array(next.length);
  for (let i = 0; i < next.length; i++) normalized[i] = next[i] !== 0 ? 1 : 0;
  const patch = diffPatch(state.mask, normalized, s.width, s.height);
  if (patch !== null) {
    applyPatch(state.mask, s.width, patch, "after");
    state = withEntry({ ...state, revision: state.revision + 1 }, label, patch);
  }
  if (asSaved) state = { ...state, savedHeadId: headId(state.history) };
  return { state, dirty: patch === null ? null : patch.rect, entry: null };
}

/** The mask as of history head `savedHeadId` is now what the server has. */
export function markSaved(s: EditorState, savedHeadId: number = headId(s.history)): ActionResult {
  return only({ ...s, savedHeadId });
}

/** Records an entry directly, for the compound actions above that must record one edit before
 * acting on the history again (elsewhere the store records the entry an action returns). */
function withEntry(s: EditorState, label: EditLabel, patch: Patch): EditorState {
  return { ...s, history: pushEntry(s.history, label, patch) };
}

export function setViewport(s: EditorState, width: number, height: number): ActionResult {
  if (width === s.viewportWidth && height === s.viewportHeight) return only(s);
  return only({ ...s, viewportWidth: width, viewportHeight: height });
}

export function setView(s: EditorState, view: ViewTransform): ActionResult {
  return only({ ...s, view });
}

export function fitView(s: EditorState): ActionResult {
  return only({
    ...s,
    view: fitToContainer(s.width, s.height, s.viewportWidth, s.viewportHeight, FIT_PADDING_PX),
  });
}

/** Zoom by `factor` about a screen point (the mouse), or the viewport's centre when none. */
export function zoomBy(s: EditorState, factor: number, anchorX?: number, anchorY?: number): ActionResult {
  const anchor = screenPoint(anchorX ?? s.viewportWidth / 2, anchorY ?? s.viewportHeight / 2);
  return only({ ...s, view: zoomAbout(s.view, factor, anchor) });
}

export function setOverlayOpacity(s: EditorState, opacity: number): ActionResult {
  return only({ ...s, overlayOpacity: clamp(opacity, 0, 1) });
}

export function toggleEdit(s: EditorState): ActionResult {
  return only({ ...s, showEdit: !s.showEdit });
}

export function togglePrediction(s: EditorState): ActionResult {
  return only({ ...s, showPrediction: !s.showPrediction });
}

export function toggleShortcuts(s: EditorState): ActionResult {
  return only({ ...s, showShortcuts: !s.showShortcuts });
}

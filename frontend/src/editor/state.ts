/**
 * The editor's state and the shape of its actions.
 *
 * Each action is a function (state, ...args) -> ActionResult: the new state, the pixels it changed
 * (so the renderer repaints only those) and, for an edit, the undo entry the store records
 * (excalidraw/tldraw style). The state record is replaced on every action; the one exception is the
 * mask buffer itself, which is mutated in place: copying 2 MB per pointer move would blow the 16 ms
 * frame budget. `revision` changes whenever its pixels change, for anyone who caches derived data.
 */
import type { ImagePoint, ScreenPoint } from "../geometry/points";
import type { Rect } from "../geometry/rect";
import { IDENTITY_VIEW, type ViewTransform } from "../geometry/view";
import type { Mask } from "../mask/rle";
import { emptyHistory, headId, type EditLabel, type History, type HistoryLimits } from "./history";
import type { Patch, PatchRecorder } from "./patch";
import type { MaskValue } from "./raster";

export type ToolKind = "brush" | "eraser" | "polygon";

/** The active tool's state machine (see tools.ts for the transitions). */
export type Gesture =
  | { readonly kind: "idle" }
  /** Brush or eraser held down: `last` is where the previous segment ended. */
  | {
      readonly kind: "stroke";
      readonly pointerId: number;
      readonly value: MaskValue;
      readonly last: ImagePoint;
      readonly recorder: PatchRecorder;
    }
  /** Polygon being drawn: at least one vertex. */
  | { readonly kind: "polygon"; readonly vertices: readonly ImagePoint[] }
  /** Panning with space-drag or the middle button. */
  | { readonly kind: "pan"; readonly pointerId: number; readonly last: ScreenPoint };

export interface EditorState {
  readonly width: number;
  readonly height: number;
  /** Row-major 0/1, width * height; owned by the editor and mutated in place (see above). */
  readonly mask: Mask;
  readonly revision: number;
  readonly tool: ToolKind;
  /** Brush and eraser radius in image px. */
  readonly brushRadius: number;
  readonly gesture: Gesture;
  readonly history: History;
  /** headId(history) when the mask last matched what the server has (0: the base it opened with). */
  readonly savedHeadId: number;
  readonly view: ViewTransform;
  /** Size of the viewport in CSS px, for zooming about its centre and fitting. */
  readonly viewportWidth: number;
  readonly viewportHeight: number;
  /** Pointer position over the image (brush cursor, polygon rubber band); null when outside. */
  readonly hover: ImagePoint | null;
  /** Opacity of the edited mask overlay, 0..1. */
  readonly overlayOpacity: number;
  readonly showEdit: boolean;
  readonly showPrediction: boolean;
  readonly showShortcuts: boolean;
}

export interface UndoEntry {
  readonly label: EditLabel;
  readonly patch: Patch;
}

export interface ActionResult {
  readonly state: EditorState;
  /** Pixels whose mask value may have changed, to repaint; null when none. */
  readonly dirty: Rect | null;
  /** The edit to record in history; null for anything that is not an edit. */
  readonly entry: UndoEntry | null;
}

/** 1..256 image px: 1 px for touching up single pixels at high zoom; 256 px (a 512 px disc) covers
 * the largest polyps in a 1920 x 1080 frame in a few dabs. */
export const MIN_BRUSH_RADIUS = 1;
export const MAX_BRUSH_RADIUS = 256;
/** 12 px: a fine brush at 1:1 on a 1080p frame; annotators resize it with [ and ]. */
export const DEFAULT_BRUSH_RADIUS = 12;
/** 0.5: the frame stays visible through the mask. */
export const DEFAULT_OVERLAY_OPACITY = 0.5;

export interface CreateEditorOptions {
  readonly historyLimits?: HistoryLimits;
  readonly brushRadius?: number;
}

/** A fresh state editing a copy of `base` (the caller's array is never written to). */
export function createEditorState(
  base: Mask,
  width: number,
  height: number,
  options: CreateEditorOptions = {},
): EditorState {
  if (base.length !== width * height) {
    throw new Error(`base mask has ${base.length} bytes, expected ${width} x ${height}`);
  }
  const mask = new Uint8Array(base.length);
  for (let i = 0; i < base.length; i++) mask[i] = base[i] !== 0 ? 1 : 0;
  const history = emptyHistory(options.historyLimits);
  return {
    width,
    height,
    mask,
    revision: 0,
    tool: "brush",
    brushRadius: options.brushRadius ?? DEFAULT_BRUSH_RADIUS,
    gesture: { kind: "idle" },
    history,
    savedHeadId: headId(history),
    view: IDENTITY_VIEW,
    viewportWidth: 0,
    viewportHeight: 0,
    hover: null,
    overlayOpacity: DEFAULT_OVERLAY_OPACITY,
    showEdit: true,
    showPrediction: true,
    showShortcuts: false,
  };
}

/** Whether the mask differs from the last saved one (unsaved work). A stroke counts once it is
 * finished (pointerup), when it becomes an undo entry. */
export function isDirty(s: EditorState): boolean {
  return headId(s.history) !== s.savedHeadId;
}

/** A result that changes settings or the view only. */
export function only(state: EditorState): ActionResult {
  return { state, dirty: null, entry: null };
}

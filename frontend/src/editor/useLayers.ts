/**
 * Keeps the editor's canvases and CSS in step with the store, outside React's render: a brush dab
 * paints its dirty rect and moves the cursor without re-rendering any component.
 */
import { useEffect, useRef, type RefObject } from "react";
import { distance, type ScreenPoint } from "../geometry/points";
import type { Rect } from "../geometry/rect";
import { fitToContainer, imageToScreen, type ViewTransform } from "../geometry/view";
import { EDIT_COLOR } from "../render/colors";
import { BrushCursor } from "../render/cursor";
import { MaskLayer, paintPrediction, UiLayer, type UiScene } from "../render/layers";
import { FIT_PADDING_PX, fitView, setViewport } from "./actions";
import type { EditorState } from "./state";
import type { EditorStore } from "./store";
import { CLOSE_DISTANCE_SCREEN_PX } from "./tools";

export interface LayerRefs {
  readonly viewport: RefObject<HTMLDivElement | null>;
  readonly stage: RefObject<HTMLDivElement | null>;
  readonly editCanvas: RefObject<HTMLCanvasElement | null>;
  readonly predictionCanvas: RefObject<HTMLCanvasElement | null>;
  readonly uiCanvas: RefObject<HTMLCanvasElement | null>;
  readonly cursor: RefObject<HTMLDivElement | null>;
}

function polygonScene(s: EditorState): UiScene {
  const g = s.gesture;
  if (g.kind !== "polygon") return { view: s.view, polygon: null };
  const first = g.vertices[0];
  const closing =
    first !== undefined &&
    g.vertices.length >= 3 &&
    s.hover !== null &&
    distance(first, s.hover) * s.view.zoom <= CLOSE_DISTANCE_SCREEN_PX;
  return { view: s.view, polygon: { vertices: g.vertices, hover: s.hover, closing } };
}

function brushCenter(s: EditorState): ScreenPoint | null {
  if (s.tool === "polygon" || s.hover === null || s.gesture.kind === "pan") return null;
  return imageToScreen(s.view, s.hover);
}

function sameView(a: ViewTransform, b: ViewTransform): boolean {
  return a.zoom === b.zoom && a.panX === b.panX && a.panY === b.panY;
}

/** Wires the layers. Returns `autoFit`, true while the view should follow the viewport's size
 * (until the user zooms or pans; "fit" sets it again), and `updatePointerStyle`, to call when the
 * space key changes (`isSpaceDown` picks the grab cursor). */
export function useLayers(
  store: EditorStore,
  refs: LayerRefs,
  prediction: Uint8Array | null,
  isSpaceDown: () => boolean,
): { autoFit: RefObject<boolean>; updatePointerStyle: () => void } {
  const autoFit = useRef(true);
  const uiLayer = useRef<UiLayer | null>(null);
  const { width, height } = store.getState();

  // The pointer's CSS cursor depends on the store and on the space key (held outside the store).
  const styleFn = useRef<() => void>(() => {});
  useEffect(() => {
    styleFn.current = () => {
      const canvas = refs.uiCanvas.current;
      if (canvas === null) return;
      const s = store.getState();
      canvas.style.cursor =
        s.gesture.kind === "pan" ? "grabbing" : isSpaceDown() ? "grab" : s.tool === "polygon" ? "crosshair" : "none";
    };
  });

  useEffect(() => {
    const editCanvas = refs.editCanvas.current;
    const stage = refs.stage.current;
    const uiCanvas = refs.uiCanvas.current;
    const predictionCanvas = refs.predictionCanvas.current;
    const cursorEl = refs.cursor.current;
    if (!editCanvas || !stage || !uiCanvas || !predictionCanvas || !cursorEl) return;
    const edit = new MaskLayer(editCanvas, width, height, EDIT_COLOR);
    edit.paintAll(store.getState().mask);
    const ui = uiLayer.current ?? new UiLayer(uiCanvas);
    uiLayer.current = ui;
    const cursor = new BrushCursor(cursorEl);
    const apply = (s: EditorState, prev: EditorState | null, dirty: Rect | null): void => {
      if (dirty !== null) edit.paintRect(s.mask, dirty);
      if (prev === null || s.view !== prev.view) {
        const v = s.view;
        stage.style.transform = `translate(${v.panX}px, ${v.panY}px) scale(${v.zoom})`;
        // Pixelated image only when a frame pixel is big enough to see (2+ screen px).
        stage.classList.toggle("me-pixelated", v.zoom >= 2);
        if (prev !== null && autoFit.current) {
          const fit = fitToContainer(s.width, s.height, s.viewportWidth, s.viewportHeight, FIT_PADDING_PX);
          if (!sameView(fit, v)) autoFit.current = false;
        }
      }
      if (prev === null || s.showEdit !== prev.showEdit || s.overlayOpacity !== prev.overlayOpacity) {
        editCanvas.style.opacity = String(s.overlayOpacity);
        editCanvas.style.visibility = s.showEdit ? "visible" : "hidden";
      }
      if (prev === null || s.showPrediction !== prev.showPrediction) {
        predictionCanvas.style.visibility = s.showPrediction ? "visible" : "hidden";
      }
      cursor.update(brushCenter(s), s.brushRadius * s.view.zoom);
      // The polygon canvas is redrawn only in polygon mode (and once more to clear it after).
      const polygonNow = s.gesture.kind === "polygon";
      const polygonBefore = prev !== null && prev.gesture.kind === "polygon";
      if (
        (polygonNow || polygonBefore) &&
        (prev === null || s.gesture !== prev.gesture || s.hover !== prev.hover || s.view !== prev.view)
      ) {
        ui.draw(polygonScene(s));
      }
      if (prev === null || s.gesture.kind !== prev.gesture.kind || s.tool !== prev.tool) styleFn.current();
    };
    apply(store.getState(), null, null);
    return store.subscribe(apply);
  }, [store, refs, width, height]);

  useEffect(() => {
    const canvas = refs.predictionCanvas.current;
    if (canvas !== null) paintPrediction(canvas, prediction, width, height);
  }, [refs, prediction, width, height]);

  // Viewport size: fit on first layout and on resizes until the user takes over the view.
  useEffect(() => {
    const viewport = refs.viewport.current;
    if (viewport === null) return;
    autoFit.current = true;
    const measure = (): void => {
      const r = viewport.getBoundingClientRect();
      uiLayer.current?.resize(r.width, r.height, window.devicePixelRatio || 1);
      store.dispatch((s) => setViewport(s, r.width, r.height));
      if (autoFit.current) store.dispatch(fitView);
      uiLayer.current?.draw(polygonScene(store.getState()));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(viewport);
    return () => observer.disconnect();
  }, [store, refs]);

  return { autoFit, updatePointerStyle: () => styleFn.current() };
}

/**
 * DOM glue: native pointer and wheel events on the editor's top canvas -> store actions. Native
 * listeners (not React's synthetic events) because a brush stroke must not wait for React, and
 * getCoalescedEvents() is only on the native event: browsers deliver at most one pointermove per
 * frame and fold the rest into it; stamping every coalesced point keeps fast curves round.
 */
import { screenPoint, type ScreenPoint } from "../geometry/points";
import { panBy } from "../geometry/view";
import { setView, zoomBy } from "./actions";
import type { EditorStore } from "./store";
import { doubleClick, pointerDown, pointerLeave, pointerMove, pointerUp } from "./tools";

/** Wheel zoom: a 100 px notch (one click of a typical mouse wheel, deltaMode pixels in Chrome)
 * zooms by e^0.2 ~ 1.22x, close to the 1.25x of the zoom keys. */
const WHEEL_ZOOM_PER_PX = 0.002;
/** deltaMode LINE (Firefox with a mouse) -> px: one line is about 16 px of text. */
const PX_PER_LINE = 16;

export interface PointerInputOptions {
  readonly element: HTMLElement;
  readonly store: EditorStore;
  /** Space held: primary-button drags pan. */
  readonly isSpaceDown: () => boolean;
  /** Called on pointerdown; the editor focuses itself there, because preventing pointerdown's
   * default also prevents the focus change a click would make (and keys go to the focused element). */
  readonly onPointerDown?: () => void;
  /** A view-only editor: every drag pans (and the wheel zooms); nothing is drawn. */
  readonly panOnly?: boolean;
}

export function attachPointerInput({ element, store, isSpaceDown, onPointerDown, panOnly = false }: PointerInputOptions): () => void {
  let box = element.getBoundingClientRect();
  const toScreen = (e: { clientX: number; clientY: number }): ScreenPoint =>
    screenPoint(e.clientX - box.left, e.clientY - box.top);

  const onDown = (e: PointerEvent): void => {
    if (e.button === 2) return;
    e.preventDefault(); // no text selection, no middle-click autoscroll
    box = element.getBoundingClientRect();
    onPointerDown?.();
    try {
      element.setPointerCapture(e.pointerId);
    } catch {
      // synthetic events (tests, benchmarks) have no active pointer to capture
    }
    store.dispatch((s) =>
      pointerDown(s, { point: toScreen(e), pointerId: e.pointerId, button: e.button, panModifier: panOnly || isSpaceDown() }),
    );
  };

  const onMove = (e: PointerEvent): void => {
    const coalesced = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
    const points = coalesced.length > 0 ? coalesced.map(toScreen) : [toScreen(e)];
    store.dispatch((s) => pointerMove(s, points, e.pointerId));
  };

  const onUp = (e: PointerEvent): void => {
    store.dispatch((s) => pointerUp(s, e.pointerId));
    try {
      if (element.hasPointerCapture(e.pointerId)) element.releasePointerCapture(e.pointerId);
    } catch {
      // see onDown
    }
  };

  const onLeave = (): void => {
    store.dispatch(pointerLeave);
  };

  const onDoubleClick = (e: MouseEvent): void => {
    e.preventDefault();
    if (!panOnly) store.dispatch(doubleClick);
  };

  const onWheel = (e: WheelEvent): void => {
    e.preventDefault(); // the page must not scroll under the editor
    box = element.getBoundingClientRect();
    const scale = e.deltaMode === WheelEvent.DOM_DELTA_LINE ? PX_PER_LINE : 1;
    if (e.shiftKey) {
      const d = (e.deltaX !== 0 ? e.deltaX : e.deltaY) * scale;
      store.dispatch((s) => setView(s, panBy(s.view, -d, 0)));
      return;
    }
    const p = toScreen(e);
    store.dispatch((s) => zoomBy(s, Math.exp(-e.deltaY * scale * WHEEL_ZOOM_PER_PX), p.x, p.y));
  };

  const onResize = (): void => {
    box = element.getBoundingClientRect();
  };

  element.addEventListener("pointerdown", onDown);
  element.addEventListener("pointermove", onMove);
  element.addEventListener("pointerup", onUp);
  element.addEventListener("pointercancel", onUp);
  element.addEventListener("pointerleave", onLeave);
  element.addEventListener("dblclick", onDoubleClick);
  element.addEventListener("wheel", onWheel, { passive: false });
  window.addEventListener("scroll", onResize, true);
  window.addEventListener("resize", onResize);
  return () => {
    element.removeEventListener("pointerdown", onDown);
    element.removeEventListener("pointermove", onMove);
    element.removeEventListener("pointerup", onUp);
    element.removeEventListener("pointercancel", onUp);
    element.removeEventListener("pointerleave", onLeave);
    element.removeEventListener("dblclick", onDoubleClick);
    element.removeEventListener("wheel", onWheel);
    window.removeEventListener("scroll", onResize, true);
    window.removeEventListener("resize", onResize);
  };
}

import { describe, expect, test } from "vitest";
import { screenPoint, type ScreenPoint } from "../geometry/points";
import type { Rect } from "../geometry/rect";
import {
  markSaved,
  redoAction,
  replaceMask,
  setBrushRadius,
  setTool,
  setView,
  stepBrushRadius,
  undoAction,
  zoomBy,
} from "./actions";
import { headId } from "./history";
import { createEditorState, isDirty, MAX_BRUSH_RADIUS, MIN_BRUSH_RADIUS, type ToolKind } from "./state";
import { createEditorStore, type EditorStore } from "./store";
import { countDifferences } from "./testing";
import {
  cancelGesture,
  closePolygon,
  doubleClick,
  pointerDown,
  pointerMove,
  pointerUp,
  removeLastVertex,
} from "./tools";

const W = 120;
const H = 80;

function editor(tool: ToolKind = "brush", radius = 3): EditorStore {
  const store = createEditorStore(createEditorState(new Uint8Array(W * H), W, H, { brushRadius: radius }));
  store.dispatch((s) => setTool(s, tool));
  return store;
}

const at = (x: number, y: number): ScreenPoint => screenPoint(x, y);
const px = (store: EditorStore, x: number, y: number): number => store.getState().mask[y * W + x] as number;
const ones = (store: EditorStore): number => store.getState().mask.reduce((a, b) => a + b, 0);

function drag(store: EditorStore, points: ScreenPoint[], pointerId = 1): void {
  const [first, ...rest] = points;
  if (!first) return;
  store.dispatch((s) => pointerDown(s, { point: first, pointerId, button: 0, panModifier: false }));
  for (const p of rest) store.dispatch((s) => pointerMove(s, [p], pointerId));
  store.dispatch((s) => pointerUp(s, pointerId));
}

function click(store: EditorStore, p: ScreenPoint): void {
  drag(store, [p]);
}

describe("brush and eraser", () => {
  test("a stroke paints along its path and is one undo entry", () => {
    const store = editor();
    drag(store, [at(10.5, 10.5), at(30.5, 10.5), at(30.5, 40.5)]);
    expect(px(store, 20, 10)).toBe(1);
    expect(px(store, 30, 25)).toBe(1);
    expect(px(store, 60, 60)).toBe(0);
    const s = store.getState();
    expect(s.history.past.length).toBe(1);
    expect(s.history.past[0]?.label).toBe("stroke");
    expect(isDirty(s)).toBe(true);
    expect(s.gesture.kind).toBe("idle");
  });

  test("coalesced points in one move event are all stamped", () => {
    const store = editor("brush", 1);
    store.dispatch((s) => pointerDown(s, { point: at(5.5, 5.5), pointerId: 1, button: 0, panModifier: false }));
    // A zig-zag given as one event: a single segment from first to last would miss (50, 60).
    store.dispatch((s) => pointerMove(s, [at(50.5, 60.5), at(100.5, 5.5)], 1));
    store.dispatch((s) => pointerUp(s, 1));
    expect(px(store, 50, 60)).toBe(1);
  });

  test("screen points go through the view transform", () => {
    const store = editor("brush", 1);
    store.dispatch((s) => setView(s, { zoom: 2, panX: 10, panY: 20 }));
    click(store, at(10 + 2 * 40.5, 20 + 2 * 30.5)); // image (40.5, 30.5)
    // Radius 1 about a pixel centre: that pixel and its 4 neighbours, nowhere else.
    expect(px(store, 40, 30)).toBe(1);
    expect(px(store, 41, 30)).toBe(1);
    expect(px(store, 40, 29)).toBe(1);
    expect(ones(store)).toBe(5);
  });

  test("undo and redo restore the mask exactly", () => {
    const store = editor();
    drag(store, [at(10, 10), at(60, 40)]);
    const painted = store.getState().mask.slice();
    store.dispatch(undoAction);
    expect(ones(store)).toBe(0);
    expect(isDirty(store.getState())).toBe(false);
    store.dispatch(redoAction);
    expect(countDifferences(store.getState().mask, painted)).toBe(0);
  });

  test("the eraser clears pixels and is labelled erase", () => {
    const store = editor();
    drag(store, [at(10, 40), at(110, 40)]);
    store.dispatch((s) => setTool(s, "eraser"));
    click(store, at(60.5, 40.5));
    expect(px(store, 60, 40)).toBe(0);
    expect(px(store, 20, 40)).toBe(1);
    expect(store.getState().history.past.map((e) => e.label)).toEqual(["stroke", "erase"]);
  });

  test("erasing nothing records nothing and stays clean", () => {
    const store = editor("eraser");
    drag(store, [at(10, 10), at(50, 50)]);
    expect(store.getState().history.past.length).toBe(0);
    expect(isDirty(store.getState())).toBe(false);
  });

  test("Escape during a stroke reverts it", () => {
    const store = editor();
    store.dispatch((s) => pointerDown(s, { point: at(20, 20), pointerId: 1, button: 0, panModifier: false }));
    store.dispatch((s) => pointerMove(s, [at(80, 60)], 1));
    expect(ones(store)).toBeGreaterThan(0);
    store.dispatch(cancelGesture);
    expect(ones(store)).toBe(0);
    expect(store.getState().history.past.length).toBe(0);
  });

  test("moves of another pointer are ignored during a stroke", () => {
    const store = editor("brush", 1);
    store.dispatch((s) => pointerDown(s, { point: at(5.5, 5.5), pointerId: 1, button: 0, panModifier: false }));
    store.dispatch((s) => pointerMove(s, [at(100.5, 70.5)], 2));
    store.dispatch((s) => pointerUp(s, 2));
    expect(store.getState().gesture.kind).toBe("stroke");
    expect(px(store, 100, 70)).toBe(0);
  });

  test("space-drag and middle-drag pan without painting", () => {
    const store = editor();
    store.dispatch((s) => pointerDown(s, { point: at(10, 10), pointerId: 1, button: 0, panModifier: true }));
    store.dispatch((s) => pointerMove(s, [at(25, 40)], 1));
    store.dispatch((s) => pointerUp(s, 1));
    expect(store.getState().view).toEqual({ zoom: 1, panX: 15, panY: 30 });
    store.dispatch((s) => pointerDown(s, { point: at(0, 0), pointerId: 2, button: 1, panModifier: false }));
    store.dispatch((s) => pointerMove(s, [at(-5, 0)], 2));
    store.dispatch((s) => pointerUp(s, 2));
    expect(store.getState().view.panX).toBe(10);
    expect(ones(store)).toBe(0);
    expect(store.getState().history.past.length).toBe(0);
  });

  test("switching tools mid-stroke keeps the stroke as an entry", () => {
    const store = editor();
    store.dispatch((s) => pointerDown(s, { point: at(20, 20), pointerId: 1, button: 0, panModifier: false }));
    store.dispatch((s) => setTool(s, "polygon"));
    expect(store.getState().history.past.length).toBe(1);
    expect(store.getState().gesture.kind).toBe("idle");
  });

  test("undo during a stroke undoes that stroke", () => {
    const store = editor();
    drag(store, [at(10, 10), at(20, 10)]);
    store.dispatch((s) => pointerDown(s, { point: at(60, 60), pointerId: 1, button: 0, panModifier: false }));
    store.dispatch(undoAction);
    expect(px(store, 60, 60)).toBe(0);
    expect(px(store, 15, 10)).toBe(1);
    expect(store.getState().history.past.length).toBe(1);
    expect(store.getState().history.future.length).toBe(1);
  });
});

describe("brush size", () => {
  test("[ and ] step by about 20 %, at least 1 px, within limits", () => {
    const store = editor("brush", 10);
    store.dispatch((s) => stepBrushRadius(s, 1));
    expect(store.getState().brushRadius).toBe(12);
    store.dispatch((s) => setBrushRadius(s, 2));
    store.dispatch((s) => stepBrushRadius(s, -1));
    store.dispatch((s) => stepBrushRadius(s, -1));
    expect(store.getState().brushRadius).toBe(MIN_BRUSH_RADIUS);
    store.dispatch((s) => setBrushRadius(s, 10_000));
    expect(store.getState().brushRadius).toBe(MAX_BRUSH_RADIUS);
  });
});

describe("polygon", () => {
  const square = [at(10.2, 10.2), at(50.2, 10.2), at(50.2, 40.2), at(10.2, 40.2)];

  test("clicking the first vertex again closes and fills", () => {
    const store = editor("polygon");
    for (const p of square) click(store, p);
    expect(ones(store)).toBe(0);
    expect(store.getState().gesture).toMatchObject({ kind: "polygon" });
    click(store, at(12, 12)); // within 10 screen px of the first vertex
    expect(store.getState().gesture.kind).toBe("idle");
    expect(ones(store)).toBe(40 * 30);
    expect(store.getState().history.past.map((e) => e.label)).toEqual(["polygon"]);
  });

  test("Enter closes; fewer than three vertices do not", () => {
    const store = editor("polygon");
    click(store, square[0] as ScreenPoint);
    click(store, square[1] as ScreenPoint);
    store.dispatch(closePolygon);
    expect(store.getState().gesture.kind).toBe("polygon");
    click(store, square[2] as ScreenPoint);
    store.dispatch(closePolygon);
    expect(store.getState().gesture.kind).toBe("idle");
    expect(ones(store)).toBeGreaterThan(0);
  });

  test("double-click closes without a duplicate vertex", () => {
    const store = editor("polygon");
    for (const p of square.slice(0, 3)) click(store, p);
    click(store, at(10.2, 40.2));
    click(store, at(10.7, 40.4)); // second click of the double-click
    store.dispatch(doubleClick);
    expect(ones(store)).toBe(40 * 30);
  });

  test("Escape cancels and Backspace removes the last vertex", () => {
    const store = editor("polygon");
    for (const p of square.slice(0, 3)) click(store, p);
    store.dispatch(removeLastVertex);
    const g = store.getState().gesture;
    expect(g.kind === "polygon" && g.vertices.length).toBe(2);
    store.dispatch(cancelGesture);
    expect(store.getState().gesture.kind).toBe("idle");
    expect(ones(store)).toBe(0);
  });

  test("undo with a polygon in progress removes its last vertex, not an earlier edit", () => {
    const store = editor("polygon");
    for (const p of square) click(store, p);
    store.dispatch(closePolygon);
    click(store, at(70, 60));
    click(store, at(90, 60));
    store.dispatch(undoAction);
    const g = store.getState().gesture;
    expect(g.kind === "polygon" && g.vertices.length).toBe(1);
    expect(ones(store)).toBe(40 * 30);
  });

  test("vertices outside the image are clamped to its border", () => {
    const store = editor("polygon");
    for (const p of [at(-30, -30), at(200, -30), at(200, 200), at(-30, 200)]) click(store, p);
    store.dispatch(closePolygon);
    expect(ones(store)).toBe(W * H);
  });
});

describe("saving and replacing", () => {
  test("the dirty flag follows the saved head through undo and redo", () => {
    const store = editor();
    drag(store, [at(10, 10), at(20, 10)]);
    store.dispatch((s) => markSaved(s));
    expect(isDirty(store.getState())).toBe(false);
    drag(store, [at(50, 50), at(60, 50)]);
    expect(isDirty(store.getState())).toBe(true);
    store.dispatch(undoAction);
    expect(isDirty(store.getState())).toBe(false);
    store.dispatch(undoAction);
    expect(isDirty(store.getState())).toBe(true);
  });

  test("markSaved with the head at save time: edits made while saving stay dirty", () => {
    const store = editor();
    drag(store, [at(10, 10), at(20, 10)]);
    const sentHead = headId(store.getState().history);
    drag(store, [at(50, 50), at(60, 50)]); // drawn while the request was in flight
    store.dispatch((s) => markSaved(s, sentHead));
    expect(isDirty(store.getState())).toBe(true);
  });

  test("replacing the base keeps the user's edit one undo away", () => {
    const store = editor();
    drag(store, [at(10, 10), at(30, 10)]);
    const mine = store.getState().mask.slice();
    const theirs = new Uint8Array(W * H);
    theirs.fill(1, 40 * W, 41 * W); // one full row
    store.dispatch((s) => replaceMask(s, theirs, "replace-base", true));
    expect(countDifferences(store.getState().mask, theirs)).toBe(0);
    expect(isDirty(store.getState())).toBe(false);
    store.dispatch(undoAction);
    expect(countDifferences(store.getState().mask, mine)).toBe(0);
    expect(isDirty(store.getState())).toBe(true);
  });

  test("the caller's base array is never written to", () => {
    const base = new Uint8Array(W * H);
    const store = createEditorStore(createEditorState(base, W, H));
    drag(store, [at(10, 10), at(30, 10)]);
    expect(base.every((v) => v === 0)).toBe(true);
  });
});

describe("store", () => {
  test("listeners get the dirty rect of each paint and can unsubscribe", () => {
    const store = editor("brush", 2);
    const rects: (Rect | null)[] = [];
    const off = store.subscribe((_s, _p, dirty) => rects.push(dirty));
    store.dispatch((s) => pointerDown(s, { point: at(10.5, 10.5), pointerId: 1, button: 0, panModifier: false }));
    // Radius 2 about pixel (10, 10)'s centre reaches 2 px each way: columns and rows 8..12.
    expect(rects[0]).toEqual({ x0: 8, y0: 8, x1: 13, y1: 13 });
    off();
    store.dispatch((s) => pointerUp(s, 1));
    expect(rects.length).toBe(1);
  });

  test("zoom buttons zoom about the viewport centre", () => {
    const store = editor();
    store.dispatch((s) => ({ state: { ...s, viewportWidth: 200, viewportHeight: 100 }, dirty: null, entry: null }));
    store.dispatch((s) => zoomBy(s, 2));
    expect(store.getState().view).toEqual({ zoom: 2, panX: -100, panY: -50 });
  });
});

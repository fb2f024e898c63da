/**
 * MaskEditor: the annotator's mask editor (brush, eraser, polygon; undo/redo; zoom/pan; drafts).
 *
 * Usage (the page owns loading and saving):
 *
 *   const editor = useRef<MaskEditorHandle>(null);
 *   <MaskEditor key={draftKey} ref={editor} imageUrl=... width=... height=... base=... prediction=...
 *               draftKey=... saving={saving} onSave={(mask) => post(encodeRle(mask, h, w))} />
 *   // after the POST succeeds:  editor.current?.markSaved()
 *   // after a 409 conflict:     editor.current?.replaceBase(decodeRle(current.rle, h, w))
 *
 * `base` is read when the editor (re)starts, i.e. on mount and when draftKey, width or height
 * change; later changes of `base` are ignored: load another revision with replaceBase(), which keeps
 * the user's edit one undo away. Passing key={draftKey} is the simplest way to start fresh per target.
 *
 * Stable data-testid attributes (for end-to-end tests):
 *   mask-editor         the root (focusable; keyboard shortcuts act while the page has no text field focused)
 *   editor-canvas       the top canvas that receives pointer events (brush, polygon clicks, pan, wheel)
 *   tool-brush, tool-eraser, tool-polygon    tool buttons (role=radio, aria-checked)
 *   brush-size          brush radius slider, image px (range input)
 *   opacity             edited-mask opacity slider, 0..100
 *   toggle-overlay, toggle-prediction        overlay toggles (aria-pressed)
 *   undo, redo, save    buttons (disabled when unavailable / while saving)
 *   zoom-in, zoom-out, zoom-fit, zoom-level  zoom buttons and the zoom percentage
 *   dirty-state         "Unsaved changes" / "All changes saved" / "Saving…"
 *   shortcuts-toggle    the "?" button;  shortcuts-panel  the panel it opens (also the ? key)
 *   draft-restore       banner offering an unsaved draft found in localStorage, with buttons
 *   draft-restore-apply, draft-restore-discard
 *   image-error         shown when the image fails to load
 *   brush-cursor        the brush outline that follows the pointer (hidden for the polygon tool)
 *   read-only-notice    why the editor is view-only (the readOnly prop; tools and saving disabled)
 * The root also carries data-tool (brush|eraser|polygon) and data-dirty (true|false).
 */
import { useCallback, useEffect, useImperativeHandle, useMemo, useRef, useState, type Ref } from "react";
import { markSaved, replaceMask, setBrushRadius, setOverlayOpacity } from "./actions";
import { runCommand } from "./commands";
import { canRedo, canUndo, headId } from "./history";
import { attachPointerInput } from "./input";
import { allowedWhenReadOnly, type Command } from "./shortcuts";
import { ShortcutsPanel } from "./ShortcutsPanel";
import { createEditorState, isDirty, type EditorState } from "./state";
import { createEditorStore, type EditorStore } from "./store";
import { Toolbar, type ToolbarState } from "./Toolbar";
import { finishStroke } from "./tools";
import { useDraft } from "./useDraft";
import { useKeyboard } from "./useKeyboard";
import { useLayers, type LayerRefs } from "./useLayers";
import { useStoreSelector } from "./useStore";
import "./editor.css";

export interface MaskEditorProps {
  imageUrl: string; // the frame (PNG) or still image to draw on
  width: number;
  height: number; // image size in px (the mask's size)
  base: Uint8Array; // the mask the edit starts from, row-major 0/1 (current revision, else ground truth, else prediction, else empty)
  prediction: Uint8Array | null; // the model's mask, shown as a toggleable outline/overlay beside the edit
  draftKey: string; // localStorage key: an unsaved edit is kept there and offered back after a reload or crash
  saving: boolean;
  onSave: (mask: Uint8Array) => void; // the page encodes to RLE and posts; on success it calls the handle's markSaved()
  onDirtyChange?: (dirty: boolean) => void;
  /** A reason shown when this user may look but not save (a gastroenterologist): every drawing tool, undo and
   * saving are off, from the first click, not refused at Ctrl+S. View commands (zoom, layers) still work. */
  readOnly?: string | null;
}

/** What the page can tell the editor (through `ref`). */
export interface MaskEditorHandle {
  /** The mask last passed to onSave is now on the server: clears the dirty flag (unless the user
   * kept editing meanwhile) and the stored draft. Without a pending onSave, marks the current mask. */
  markSaved(): void;
  /** Shows `mask` (row-major 0/1, width x height) as the new saved base, e.g. someone else's newer
   * revision after a 409. One undo step brings the user's edit back; the draft keeps it too. */
  replaceBase(mask: Uint8Array): void;
  /** A copy of the mask as it is now. */
  getMask(): Uint8Array;
  isDirty(): boolean;
}

function selectToolbar(s: EditorState): ToolbarState {
  return {
    tool: s.tool,
    brushRadius: s.brushRadius,
    overlayOpacity: s.overlayOpacity,
    showEdit: s.showEdit,
    showPrediction: s.showPrediction,
    showShortcuts: s.showShortcuts,
    canUndo: canUndo(s.history) || s.gesture.kind === "polygon",
    canRedo: canRedo(s.history),
    dirty: isDirty(s),
    zoom: s.view.zoom,
  };
}

function selectHint(s: EditorState): { polygonVertices: number } {
  return { polygonVertices: s.gesture.kind === "polygon" ? s.gesture.vertices.length : 0 };
}

export function MaskEditor({ ref, ...props }: MaskEditorProps & { ref?: Ref<MaskEditorHandle> }) {
  const { imageUrl, width, height, base, prediction, draftKey, saving } = props;
  // Recreated when the target changes; `base` is only read here (see the header comment).
  const store: EditorStore = useMemo(
    () => createEditorStore(createEditorState(base, width, height)),
    [draftKey, width, height], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const ui = useStoreSelector(store, selectToolbar);
  const hint = useStoreSelector(store, selectHint);
  const propsRef = useRef(props);
  propsRef.current = props;

  const rootRef = useRef<HTMLDivElement>(null);
  const viewport = useRef<HTMLDivElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const editCanvas = useRef<HTMLCanvasElement>(null);
  const predictionCanvas = useRef<HTMLCanvasElement>(null);
  const uiCanvas = useRef<HTMLCanvasElement>(null);
  const cursor = useRef<HTMLDivElement>(null);
  const refs: LayerRefs = useMemo(
    () => ({ viewport, stage, editCanvas, predictionCanvas, uiCanvas, cursor }),
    [],
  );
  /** headId at the last onSave, so markSaved() marks what was sent, not what was drawn since. */
  const pendingSaveHead = useRef<number | null>(null);
  const [imageFailed, setImageFailed] = useState(false);
  useEffect(() => setImageFailed(false), [imageUrl]);

  const draft = useDraft(store, draftKey);
  const { keeper } = draft;

  const save = useCallback(() => {
    const p = propsRef.current;
    if (p.saving) return;
    store.dispatch(finishStroke);
    pendingSaveHead.current = headId(store.getState().history);
    keeper.current?.flush();
    p.onSave(store.getState().mask.slice());
  }, [store, keeper]);

  // Layers need the space key (grab cursor) and the keyboard needs the layers' autoFit: tie them
  // through refs filled in below.
  const spaceRef = useRef<{ current: boolean } | null>(null);
  const layers = useLayers(store, refs, prediction, () => spaceRef.current?.current === true);
  const locked = Boolean(props.readOnly);
  const run = useCallback(
    (command: Command) => {
      if (locked && !allowedWhenReadOnly(command)) return;
      runCommand(store, command, { save, fitted: () => (layers.autoFit.current = true) });
    },
    [store, save, layers.autoFit, locked],
  );
  const spaceDown = useKeyboard(rootRef, run, layers.updatePointerStyle);
  spaceRef.current = spaceDown;

  useEffect(() => {
    const canvas = uiCanvas.current;
    if (canvas === null) return;
    return attachPointerInput({
      element: canvas,
      store,
      isSpaceDown: () => spaceDown.current,
      panOnly: locked, // view only: drags pan, nothing is drawn
      onPointerDown: () => rootRef.current?.focus({ preventScroll: true }),
    });
  }, [store, spaceDown, locked]);

  // Dirty flag out to the page, and a leave-page warning while there is unsaved work.
  useEffect(() => {
    let dirty = isDirty(store.getState());
    propsRef.current.onDirtyChange?.(dirty);
    const off = store.subscribe((s) => {
      const next = isDirty(s);
      if (next !== dirty) {
        dirty = next;
        propsRef.current.onDirtyChange?.(next);
      }
    });
    const onBeforeUnload = (e: BeforeUnloadEvent): void => {
      if (isDirty(store.getState())) e.preventDefault();
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => {
      off();
      window.removeEventListener("beforeunload", onBeforeUnload);
    };
  }, [store]);

  useImperativeHandle(
    ref,
    (): MaskEditorHandle => ({
      markSaved() {
        const head = pendingSaveHead.current ?? headId(store.getState().history);
        pendingSaveHead.current = null;
        store.dispatch((s) => markSaved(s, head));
        // Edits made while the save was in flight are still unsaved: keep them stored.
        if (isDirty(store.getState())) keeper.current?.changed();
        else keeper.current?.clear();
      },
      replaceBase(mask) {
        pendingSaveHead.current = null;
        store.dispatch((s) => replaceMask(s, mask, "replace-base", true));
      },
      getMask: () => store.getState().mask.slice(),
      isDirty: () => isDirty(store.getState()),
    }),
    [store, keeper],
  );

  return (
    <div
      ref={rootRef}
      className="me-root"
      data-testid="mask-editor"
      data-tool={ui.tool}
      data-dirty={String(ui.dirty)}
      data-read-only={String(locked)}
      tabIndex={0}
      aria-label="Mask editor"
    >
      <Toolbar
        ui={ui}
        hasPrediction={prediction !== null}
        saving={saving}
        onCommand={run}
        onBrushRadius={(r) => store.dispatch((s) => setBrushRadius(s, r))}
        onOpacity={(o) => store.dispatch((s) => setOverlayOpacity(s, o))}
        readOnly={props.readOnly}
      />
      {locked && (
        <div className="me-readonly" data-testid="read-only-notice" role="note">
          {props.readOnly}
        </div>
      )}
      {draft.offer !== null && !locked && (
        <div className="me-draft" data-testid="draft-restore" role="alert">
          <span>An unsaved edit from {new Date(draft.offer.savedAt).toLocaleString()} was kept in this browser.</span>
          <button type="button" data-testid="draft-restore-apply" onClick={draft.restore}>
            Restore it
          </button>
          <button type="button" data-testid="draft-restore-discard" onClick={draft.discard}>
            Discard
          </button>
        </div>
      )}
      <div ref={viewport} className="me-viewport">
        <div ref={stage} className="me-stage" style={{ width: `${width}px`, height: `${height}px` }}>
          <img
            src={imageUrl}
            width={width}
            height={height}
            alt=""
            draggable={false}
            decoding="async"
            onError={() => setImageFailed(true)}
            onLoad={() => setImageFailed(false)}
          />
          <canvas ref={predictionCanvas} aria-hidden="true" />
          <canvas ref={editCanvas} aria-hidden="true" />
        </div>
        <canvas ref={uiCanvas} className="me-ui" data-testid="editor-canvas" />
        <div ref={cursor} className="me-cursor" data-testid="brush-cursor" aria-hidden="true" />
        {imageFailed && (
          <div className="me-error" data-testid="image-error" role="alert">
            The image could not be loaded.
          </div>
        )}
        {hint.polygonVertices > 0 && (
          <div className="me-hint">
            Click to add points · Enter, double-click or click the first point to close · Esc cancels
          </div>
        )}
      </div>
      {ui.showShortcuts && <ShortcutsPanel onClose={() => run("toggle-shortcuts")} />}
    </div>
  );
}

/**
 * Command -> action: what a shortcut or toolbar button does. Shared by the keyboard handler and the
 * toolbar so both always do the same thing.
 */
import {
  fitView,
  redoAction,
  setTool,
  stepBrushRadius,
  toggleEdit,
  togglePrediction,
  toggleShortcuts,
  undoAction,
  ZOOM_STEP,
  zoomBy,
} from "./actions";
import type { Command } from "./shortcuts";
import type { EditorStore } from "./store";
import { cancelGesture, closePolygon, removeLastVertex } from "./tools";

export interface CommandHooks {
  /** Save is the page's business (it encodes and posts). */
  readonly save: () => void;
  /** Called after "fit": the editor then keeps fitting on resize. */
  readonly fitted: () => void;
}

export function runCommand(store: EditorStore, command: Command, hooks: CommandHooks): void {
  const d = store.dispatch;
  switch (command) {
    case "tool-brush":
      d((s) => setTool(s, "brush"));
      return;
    case "tool-eraser":
      d((s) => setTool(s, "eraser"));
      return;
    case "tool-polygon":
      d((s) => setTool(s, "polygon"));
      return;
    case "size-down":
      d((s) => stepBrushRadius(s, -1));
      return;
    case "size-up":
      d((s) => stepBrushRadius(s, 1));
      return;
    case "undo":
      d(undoAction);
      return;
    case "redo":
      d(redoAction);
      return;
    case "save":
      hooks.save();
      return;
    case "zoom-in":
      d((s) => zoomBy(s, ZOOM_STEP));
      return;
    case "zoom-out":
      d((s) => zoomBy(s, 1 / ZOOM_STEP));
      return;
    case "zoom-fit":
      d(fitView);
      hooks.fitted();
      return;
    case "toggle-overlay":
      d(toggleEdit);
      return;
    case "toggle-prediction":
      d(togglePrediction);
      return;
    case "toggle-shortcuts":
      d(toggleShortcuts);
      return;
    case "polygon-close":
      d(closePolygon);
      return;
    case "polygon-remove-vertex":
      d(removeLastVertex);
      return;
    case "cancel":
      // Escape closes the shortcuts panel first, if it is open.
      d(store.getState().showShortcuts ? toggleShortcuts : cancelGesture);
      return;
  }
}

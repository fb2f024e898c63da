/**
 * Keyboard shortcuts: one table, used both to map key presses to commands and to render the
 * shortcuts panel (so the panel cannot drift from what the keys do). Pure: takes a KeyboardEvent-
 * shaped object, no DOM.
 */

export type Command =
  | "tool-brush"
  | "tool-eraser"
  | "tool-polygon"
  | "size-down"
  | "size-up"
  | "undo"
  | "redo"
  | "save"
  | "zoom-in"
  | "zoom-out"
  | "zoom-fit"
  | "toggle-overlay"
  | "toggle-prediction"
  | "toggle-shortcuts"
  | "polygon-close"
  | "cancel"
  | "polygon-remove-vertex";

/** What a read-only editor (a role that cannot save) still does: look, zoom and toggle layers; never draw. */
const VIEW_COMMANDS: ReadonlySet<Command> = new Set<Command>([
  "zoom-in", "zoom-out", "zoom-fit", "toggle-overlay", "toggle-prediction", "toggle-shortcuts", "cancel",
]);

export function allowedWhenReadOnly(command: Command): boolean {
  return VIEW_COMMANDS.has(command);
}

export interface KeyInput {
  readonly key: string;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly shiftKey: boolean;
  readonly altKey: boolean;
}

export interface Shortcut {
  readonly command: Command;
  /** Labels as shown in the panel, e.g. "Ctrl+Shift+Z". */
  readonly keys: readonly string[];
  readonly description: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { command: "tool-brush", keys: ["B"], description: "Brush" },
  { command: "tool-eraser", keys: ["E"], description: "Eraser" },
  { command: "tool-polygon", keys: ["P"], description: "Polygon" },
  { command: "size-down", keys: ["["], description: "Smaller brush" },
  { command: "size-up", keys: ["]"], description: "Larger brush" },
  { command: "undo", keys: ["Ctrl+Z"], description: "Undo" },
  { command: "redo", keys: ["Ctrl+Shift+Z", "Ctrl+Y"], description: "Redo" },
  { command: "save", keys: ["Ctrl+S"], description: "Save" },
  { command: "zoom-in", keys: ["+"], description: "Zoom in" },
  { command: "zoom-out", keys: ["-"], description: "Zoom out" },
  { command: "zoom-fit", keys: ["0"], description: "Fit the image" },
  { command: "toggle-overlay", keys: ["O"], description: "Show or hide the edited mask" },
  { command: "toggle-prediction", keys: ["R"], description: "Show or hide the model's prediction" },
  { command: "polygon-close", keys: ["Enter"], description: "Close the polygon" },
  { command: "polygon-remove-vertex", keys: ["Backspace"], description: "Remove the polygon's last vertex" },
  { command: "cancel", keys: ["Esc"], description: "Cancel the polygon or stroke in progress" },
  { command: "toggle-shortcuts", keys: ["?"], description: "Show or hide this panel" },
];

/** Mouse gestures, listed in the panel beside the keys. */
export const POINTER_SHORTCUTS: readonly { readonly keys: string; readonly description: string }[] = [
  { keys: "Space + drag", description: "Pan" },
  { keys: "Middle-drag", description: "Pan" },
  { keys: "Wheel", description: "Zoom about the pointer" },
  { keys: "Shift + wheel", description: "Pan" },
  { keys: "Click", description: "Polygon: add a vertex" },
  { keys: "Double-click / click first vertex", description: "Polygon: close" },
];

/** The command a key press means, or null. Ctrl and Cmd (macOS) are interchangeable. */
export function commandForKey(e: KeyInput): Command | null {
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (e.ctrlKey || e.metaKey) {
    if (e.altKey) return null;
    if (key === "z") return e.shiftKey ? "redo" : "undo";
    if (key === "y") return "redo";
    if (key === "s") return "save";
    return null;
  }
  if (e.altKey) return null;
  switch (key) {
    case "b":
      return "tool-brush";
    case "e":
      return "tool-eraser";
    case "p":
      return "tool-polygon";
    case "[":
      return "size-down";
    case "]":
      return "size-up";
    case "+":
    case "=": // the unshifted + key on US layouts
      return "zoom-in";
    case "-":
    case "_":
      return "zoom-out";
    case "0":
      return "zoom-fit";
    case "o":
      return "toggle-overlay";
    case "r":
      return "toggle-prediction";
    case "?":
      return "toggle-shortcuts";
    case "Enter":
      return "polygon-close";
    case "Escape":
      return "cancel";
    case "Backspace":
      return "polygon-remove-vertex";
    default:
      return null;
  }
}

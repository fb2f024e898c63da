// The video review page's keyboard map: one table drives both the key handling and the `?` overlay,
// so the help can never disagree with what the keys do.
import type { VerdictValue } from "../../api/types";

export type VideoAction =
  | { type: "togglePlay" }
  | { type: "step"; frames: number }
  | { type: "nextEvent" }
  | { type: "prevEvent" }
  | { type: "verdict"; value: VerdictValue }
  | { type: "toggleOverlay" }
  | { type: "toggleOutline" }
  | { type: "editFrame" }
  | { type: "focusNote" }
  | { type: "toggleHelp" }
  | { type: "escape" };

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  /** Focus is in a text field (the verdict note): keys type text there, except Escape. */
  inEditable: boolean;
}

interface Binding {
  keys: readonly string[];
  label: string;
  action: VideoAction;
  /** Shift must be held (true), must not be (false), or either (undefined). */
  shift?: boolean;
}

/** Shift+arrow steps a short burst: 10 frames is a third to two-fifths of a second at 25-30 fps. */
export const BIG_STEP = 10;

const BINDINGS: readonly Binding[] = [
  { keys: [" "], label: "Space", action: { type: "togglePlay" } },
  { keys: [",", "ArrowLeft"], label: ", or ←", action: { type: "step", frames: -1 }, shift: false },
  { keys: [".", "ArrowRight"], label: ". or →", action: { type: "step", frames: 1 }, shift: false },
  { keys: ["ArrowLeft"], label: "Shift+←", action: { type: "step", frames: -BIG_STEP }, shift: true },
  { keys: ["ArrowRight"], label: "Shift+→", action: { type: "step", frames: BIG_STEP }, shift: true },
  { keys: ["n", "j"], label: "N or J", action: { type: "nextEvent" } },
  { keys: ["p", "k"], label: "P or K", action: { type: "prevEvent" } },
  { keys: ["1", "c"], label: "1 or C", action: { type: "verdict", value: "confirmed" } },
  { keys: ["2", "f"], label: "2 or F", action: { type: "verdict", value: "false_positive" } },
  { keys: ["3", "u"], label: "3 or U", action: { type: "verdict", value: "uncertain" } },
  { keys: ["o"], label: "O", action: { type: "toggleOverlay" } },
  { keys: ["l"], label: "L", action: { type: "toggleOutline" } },
  { keys: ["e"], label: "E", action: { type: "editFrame" } },
  { keys: ["Enter"], label: "Enter", action: { type: "focusNote" } },
  { keys: ["?"], label: "?", action: { type: "toggleHelp" } },
  { keys: ["Escape"], label: "Esc", action: { type: "escape" } },
];

export function describeAction(action: VideoAction): string {
  switch (action.type) {
    case "togglePlay":
      return "Play / pause";
    case "step":
      return `${action.frames < 0 ? "Back" : "Forward"} ${Math.abs(action.frames)} frame${Math.abs(action.frames) === 1 ? "" : "s"}`;
    case "nextEvent":
      return "Next event (inside an event: the one after it; past the last: the next still to review)";
    case "prevEvent":
      return "Previous event";
    case "verdict":
      return { confirmed: "Verdict: confirmed", false_positive: "Verdict: false positive", uncertain: "Verdict: uncertain" }[action.value];
    case "toggleOverlay":
      return "Mask overlay on / off";
    case "toggleOutline":
      return "Mask as an outline only (the mucosa stays visible) / filled";
    case "editFrame":
      return "Correct the mask of this frame";
    case "focusNote":
      return "Write a note: on the event just judged, else on the selected event";
    case "toggleHelp":
      return "Show / hide these shortcuts";
    case "escape":
      return "Close this overlay, leave the note field";
  }
}

/** Rows for the `?` overlay, in table order. */
export const SHORTCUTS: readonly { keys: string; description: string }[] = BINDINGS.map((b) => ({
  keys: b.label,
  description: describeAction(b.action),
}));

/** Keys inside a note field (typed text goes to the field; these are not shortcuts of the page). */
export const NOTE_SHORTCUTS: readonly { keys: string; description: string }[] = [
  { keys: "Enter", description: "In a note: save it (an event with a verdict keeps its verdict; the note is added as a new entry of its history)" },
  { keys: "Esc", description: "In a note: leave the field (a note of an event with a verdict is saved on leaving)" },
];

/** The action for a keydown, or null to let the browser have it (shortcuts with Ctrl/Cmd/Alt, typing in a field). */
export function keyToAction(input: KeyInput): VideoAction | null {
  if (input.ctrlKey || input.metaKey || input.altKey) return null;
  if (input.inEditable) return input.key === "Escape" ? { type: "escape" } : null;
  const key = input.key.length === 1 ? input.key.toLowerCase() : input.key;
  for (const binding of BINDINGS) {
    if (!binding.keys.includes(key)) continue;
    if (binding.shift !== undefined && binding.shift !== input.shiftKey) continue;
    return binding.action;
  }
  return null;
}

import { expect, test } from "vitest";
import { BIG_STEP, SHORTCUTS, keyToAction, type KeyInput } from "./keymap";

const press = (key: string, extra: Partial<KeyInput> = {}) =>
  keyToAction({ key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, inEditable: false, ...extra });

test("the issue's keys map to their actions", () => {
  expect(press(" ")).toEqual({ type: "togglePlay" });
  expect(press(",")).toEqual({ type: "step", frames: -1 });
  expect(press(".")).toEqual({ type: "step", frames: 1 });
  expect(press("ArrowLeft")).toEqual({ type: "step", frames: -1 });
  expect(press("ArrowRight")).toEqual({ type: "step", frames: 1 });
  for (const key of ["n", "j", "N", "J"]) expect(press(key, { shiftKey: key === key.toUpperCase() })).toEqual({ type: "nextEvent" });
  for (const key of ["p", "k"]) expect(press(key)).toEqual({ type: "prevEvent" });
  expect(press("1")).toEqual({ type: "verdict", value: "confirmed" });
  expect(press("c")).toEqual({ type: "verdict", value: "confirmed" });
  expect(press("2")).toEqual({ type: "verdict", value: "false_positive" });
  expect(press("F", { shiftKey: true })).toEqual({ type: "verdict", value: "false_positive" });
  expect(press("3")).toEqual({ type: "verdict", value: "uncertain" });
  expect(press("u")).toEqual({ type: "verdict", value: "uncertain" });
  expect(press("o")).toEqual({ type: "toggleOverlay" });
  expect(press("l")).toEqual({ type: "toggleOutline" });
  expect(press("L", { shiftKey: true })).toEqual({ type: "toggleOutline" });
  expect(press("?", { shiftKey: true })).toEqual({ type: "toggleHelp" });
  expect(press("Enter")).toEqual({ type: "focusNote" });
});

test("shift+arrow steps a burst of frames", () => {
  expect(press("ArrowRight", { shiftKey: true })).toEqual({ type: "step", frames: BIG_STEP });
  expect(press("ArrowLeft", { shiftKey: true })).toEqual({ type: "step", frames: -BIG_STEP });
});

test("browser shortcuts with Ctrl, Cmd or Alt are left alone", () => {
  expect(press("c", { ctrlKey: true })).toBeNull();
  expect(press("r", { metaKey: true })).toBeNull();
  expect(press("ArrowLeft", { altKey: true })).toBeNull();
});

test("typing in the note field types, and only Escape leaves it", () => {
  expect(press("c", { inEditable: true })).toBeNull();
  expect(press(" ", { inEditable: true })).toBeNull();
  expect(press("Escape", { inEditable: true })).toEqual({ type: "escape" });
  // Enter in the note is the field's own (it saves the note), not the page's.
  expect(press("Enter", { inEditable: true })).toBeNull();
});

test("unbound keys do nothing", () => {
  expect(press("z")).toBeNull();
  expect(press("Tab")).toBeNull();
});

test("the help lists every binding with a description", () => {
  expect(SHORTCUTS.length).toBeGreaterThanOrEqual(12);
  expect(SHORTCUTS.every((s) => s.keys && s.description)).toBe(true);
  expect(SHORTCUTS.find((s) => s.keys === "1 or C")?.description).toBe("Verdict: confirmed");
});

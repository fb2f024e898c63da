import { describe, expect, test } from "vitest";
import { allowedWhenReadOnly, commandForKey, SHORTCUTS, type KeyInput } from "./shortcuts";

const key = (k: string, mods: Partial<KeyInput> = {}): KeyInput => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

describe("commandForKey", () => {
  test("tools, size and toggles", () => {
    expect(commandForKey(key("b"))).toBe("tool-brush");
    expect(commandForKey(key("E", { shiftKey: true }))).toBe("tool-eraser"); // caps / shift
    expect(commandForKey(key("p"))).toBe("tool-polygon");
    expect(commandForKey(key("["))).toBe("size-down");
    expect(commandForKey(key("]"))).toBe("size-up");
    expect(commandForKey(key("o"))).toBe("toggle-overlay");
    expect(commandForKey(key("r"))).toBe("toggle-prediction");
    expect(commandForKey(key("?", { shiftKey: true }))).toBe("toggle-shortcuts");
  });
  test("undo, redo and save with Ctrl or Cmd", () => {
    expect(commandForKey(key("z", { ctrlKey: true }))).toBe("undo");
    expect(commandForKey(key("Z", { ctrlKey: true, shiftKey: true }))).toBe("redo");
    expect(commandForKey(key("y", { ctrlKey: true }))).toBe("redo");
    expect(commandForKey(key("z", { metaKey: true }))).toBe("undo");
    expect(commandForKey(key("s", { ctrlKey: true }))).toBe("save");
  });
  test("Ctrl+R and Ctrl+P stay with the browser", () => {
    expect(commandForKey(key("r", { ctrlKey: true }))).toBeNull();
    expect(commandForKey(key("p", { ctrlKey: true }))).toBeNull();
  });
  test("zoom keys, including = as unshifted +", () => {
    expect(commandForKey(key("+", { shiftKey: true }))).toBe("zoom-in");
    expect(commandForKey(key("="))).toBe("zoom-in");
    expect(commandForKey(key("-"))).toBe("zoom-out");
    expect(commandForKey(key("0"))).toBe("zoom-fit");
  });
  test("polygon keys", () => {
    expect(commandForKey(key("Enter"))).toBe("polygon-close");
    expect(commandForKey(key("Escape"))).toBe("cancel");
    expect(commandForKey(key("Backspace"))).toBe("polygon-remove-vertex");
  });
  test("unbound keys and Alt combinations do nothing", () => {
    expect(commandForKey(key("x"))).toBeNull();
    expect(commandForKey(key("b", { altKey: true }))).toBeNull();
  });
  test("every command has a row in the panel table", () => {
    const commands = new Set(SHORTCUTS.map((s) => s.command));
    const probes = ["b", "e", "p", "[", "]", "+", "-", "0", "o", "r", "?", "Enter", "Escape", "Backspace"];
    for (const k of probes) {
      const c = commandForKey(key(k));
      expect(c).not.toBeNull();
      expect(commands.has(c as NonNullable<typeof c>)).toBe(true);
    }
    for (const c of ["undo", "redo", "save"] as const) expect(commands.has(c)).toBe(true);
  });
});

describe("allowedWhenReadOnly", () => {
  test("a view-only editor zooms and toggles layers but never draws, undoes or saves", () => {
    for (const command of ["zoom-in", "zoom-out", "zoom-fit", "toggle-overlay", "toggle-prediction", "toggle-shortcuts"] as const)
      expect(allowedWhenReadOnly(command)).toBe(true);
    for (const command of ["tool-brush", "tool-eraser", "tool-polygon", "undo", "redo", "save", "size-up", "polygon-close"] as const)
      expect(allowedWhenReadOnly(command)).toBe(false);
  });
  test("every command a shortcut can send is classified", () => {
    const sent = new Set(SHORTCUTS.map((s) => s.command));
    expect([...sent].filter((c) => allowedWhenReadOnly(c)).length).toBeGreaterThan(0);
  });
});

/**
 * Keyboard shortcuts for the editor, listened to on window so they work wherever focus is, except
 * in text fields (and Enter/Space on a focused button, which press that button).
 */
import { useEffect, useRef, type RefObject } from "react";
import { isTextEntry } from "../keyboard/textEntry";
import { commandForKey, type Command } from "./shortcuts";

function activates(t: EventTarget | null): boolean {
  return t instanceof HTMLButtonElement || t instanceof HTMLAnchorElement || (t instanceof HTMLElement && t.tagName === "SUMMARY");
}

/** Returns a ref that is true while Space is held (space + drag pans). */
export function useKeyboard(
  root: RefObject<HTMLElement | null>,
  run: (command: Command) => void,
  onSpaceChange: () => void,
): RefObject<boolean> {
  const spaceDown = useRef(false);
  const latest = useRef({ run, onSpaceChange });
  latest.current = { run, onSpaceChange };

  useEffect(() => {
    const setSpace = (down: boolean): void => {
      if (spaceDown.current === down) return;
      spaceDown.current = down;
      latest.current.onSpaceChange();
    };
    const onKeyDown = (e: KeyboardEvent): void => {
      if (e.defaultPrevented) return;
      if (isTextEntry(e.target)) {
        // Typing goes to the field, but Ctrl+S still saves (a revision note is typed just before saving),
        // and must not open the browser's "Save page as".
        const command = commandForKey(e);
        if (command === "save") {
          e.preventDefault();
          latest.current.run(command);
        }
        return;
      }
      if (e.key === " ") {
        if (activates(e.target)) return;
        // Keep the page from scrolling while Space is held over the editor.
        const el = root.current;
        if (e.target === document.body || e.target === window || (el !== null && el.contains(e.target as Node))) {
          e.preventDefault();
        }
        setSpace(true);
        return;
      }
      if (e.key === "Enter" && activates(e.target)) return;
      const command = commandForKey(e);
      if (command === null) return;
      e.preventDefault(); // Ctrl+S (browser save), Backspace (history back), + and - (page zoom)
      latest.current.run(command);
    };
    const onKeyUp = (e: KeyboardEvent): void => {
      if (e.key === " ") setSpace(false);
    };
    const onBlur = (): void => setSpace(false);
    window.addEventListener("keydown", onKeyDown);
    window.addEventListener("keyup", onKeyUp);
    window.addEventListener("blur", onBlur);
    return () => {
      window.removeEventListener("keydown", onKeyDown);
      window.removeEventListener("keyup", onKeyUp);
      window.removeEventListener("blur", onBlur);
    };
  }, [root]);

  return spaceDown;
}

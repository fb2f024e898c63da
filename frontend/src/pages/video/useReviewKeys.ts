// The review page's keys, on window so they work wherever focus is, except in text fields (the app's one
// text-entry guard, keyboard/textEntry.ts, shared with the mask editor).
import { useEffect, useRef } from "react";
import { isTextEntry } from "../../keyboard/textEntry";
import { keyToAction, type VideoAction } from "./keymap";

/** Enter on a focused button or link presses it; it is not the page's Enter. */
function activates(target: EventTarget | null): boolean {
  return target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement || (target instanceof HTMLElement && target.tagName === "SUMMARY");
}

/** `run` gets each action with whether the key is held down (auto-repeat). */
export function useReviewKeys(run: (action: VideoAction, repeat: boolean) => void): void {
  const latest = useRef(run);
  latest.current = run;
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      const action = keyToAction({
        key: event.key,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
        shiftKey: event.shiftKey,
        inEditable: isTextEntry(event.target),
      });
      if (!action) return;
      if (action.type === "focusNote" && activates(event.target)) return;
      event.preventDefault();
      latest.current(action, event.repeat);
    };
    // Space on a focused button would "click" it on keyup as well as toggling playback.
    const onKeyUp = (event: KeyboardEvent) => {
      if (event.key === " " && !isTextEntry(event.target)) event.preventDefault();
    };
    window.addEventListener("keydown", onKeyDown);
    window.addEventListener("keyup", onKeyUp);
    return () => {
      window.removeEventListener("keydown", onKeyDown);
      window.removeEventListener("keyup", onKeyUp);
    };
  }, []);
}

/**
 * A tiny store (getState / dispatch / subscribe) around EditorState, for the React component and
 * the canvas renderer. dispatch runs an action, records its undo entry in the history and tells
 * listeners which pixels changed, so the renderer repaints only that rectangle and React re-renders
 * only when the fields it selected change (not on every pointer move).
 */
import type { Rect } from "../geometry/rect";
import { pushEntry } from "./history";
import type { ActionResult, EditorState } from "./state";

export type Action = (state: EditorState) => ActionResult;
export type Listener = (state: EditorState, previous: EditorState, dirty: Rect | null) => void;

export interface EditorStore {
  getState(): EditorState;
  dispatch(action: Action): ActionResult;
  subscribe(listener: Listener): () => void;
}

export function createEditorStore(initial: EditorState): EditorStore {
  let state = initial;
  const listeners = new Set<Listener>();
  return {
    getState: () => state,
    dispatch(action) {
      const result = action(state);
      let next = result.state;
      if (result.entry !== null) {
        next = { ...next, history: pushEntry(next.history, result.entry.label, result.entry.patch) };
      }
      const previous = state;
      if (next === previous) return result;
      state = next;
      for (const l of [...listeners]) l(state, previous, result.dirty);
      return { ...result, state };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

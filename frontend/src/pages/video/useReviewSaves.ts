// Saving verdicts and notes for the review reducer: one request at a time per event (a note, then a verdict),
// the same note never sent twice, and a note field that goes away saves what was typed in it.
import { useCallback, useEffect, useRef, type Dispatch, type RefObject } from "react";
import { postVerdict } from "../../api/client";
import type { Video, VerdictValue } from "../../api/types";
import { toApiError } from "../../api/useApi";
import type { JumpTarget } from "../../timeline/navigation";
import { hasUnsavedNote, justJudgedEvent, noteText, selectedEvent, type ReviewAction, type ReviewState } from "./reviewState";

interface ReviewSavesOptions {
  state: ReviewState;
  /** The latest state, for callbacks that run after a render (key handlers, answers of the API). */
  stateRef: RefObject<ReviewState>;
  dispatch: Dispatch<ReviewAction>;
  jumpRef: RefObject<JumpTarget>;
  /** Verdicts are possible now (the role may give them, processing has ended). */
  enabled: boolean;
  setVideo: (update: (previous: Video | null) => Video | null) => void;
}

export interface ReviewSaves {
  /** A verdict on the selected event, with its note; the selection then moves on. */
  giveVerdict: (value: VerdictValue) => void;
  /** Enter in a note, or leaving it: an event with a verdict gets the note as a new verdict of the same value. */
  commitNote: (eventId: number, how: "enter" | "blur") => void;
}

export function useReviewSaves({ state, stateRef, dispatch, jumpRef, enabled, setVideo }: ReviewSavesOptions): ReviewSaves {
  const chains = useRef(new Map<number, Promise<void>>());
  /** The note text of each event's latest save asked for, until it is done: the same text is not sent twice. */
  const queuedNotes = useRef(new Map<number, string>());

  const save = useCallback(
    (eventId: number, value: VerdictValue, note: string, advance: boolean) => {
      queuedNotes.current.set(eventId, note);
      const run = async () => {
        const before = stateRef.current.events.find((e) => e.id === eventId);
        dispatch({ type: "saveStarted", id: eventId });
        try {
          const verdict = await postVerdict(eventId, value, note.trim());
          dispatch({ type: "saved", id: eventId, verdict, note, advance, jump: jumpRef.current });
          if (before?.verdict === null) setVideo((current) => (current ? { ...current, pending_events: Math.max(0, current.pending_events - 1) } : current));
        } catch (reason) {
          dispatch({ type: "saveFailed", id: eventId, message: toApiError(reason).detail });
        } finally {
          if (queuedNotes.current.get(eventId) === note) queuedNotes.current.delete(eventId);
        }
      };
      const next = (chains.current.get(eventId) ?? Promise.resolve()).then(run);
      chains.current.set(eventId, next);
    },
    [stateRef, dispatch, jumpRef, setVideo],
  );

  const giveVerdict = useCallback(
    (value: VerdictValue) => {
      const current = selectedEvent(stateRef.current);
      if (!current || !enabled) return;
      save(current.id, value, noteText(stateRef.current, current), true);
    },
    [stateRef, enabled, save],
  );

  const commitNote = useCallback(
    (eventId: number, how: "enter" | "blur") => {
      const s = stateRef.current;
      const event = s.events.find((e) => e.id === eventId);
      if (!event || !enabled || !hasUnsavedNote(s, event) || queuedNotes.current.get(eventId) === noteText(s, event)) return;
      if (event.verdict) save(eventId, event.verdict.value, noteText(s, event), false);
      else if (how === "enter") dispatch({ type: "noteNeedsVerdict", id: eventId });
    },
    [stateRef, enabled, save, dispatch],
  );

  // A note field that goes away (the selection moved on) saves what was typed in it, when it can be saved alone.
  const judgedId = justJudgedEvent(state)?.id ?? null;
  const shown = useRef<number[]>([]);
  useEffect(() => {
    const now = [state.selectedId, judgedId].filter((id): id is number => id !== null);
    for (const id of shown.current) if (!now.includes(id)) commitNote(id, "blur");
    shown.current = now;
  }, [state.selectedId, judgedId, commitNote]);

  return { giveVerdict, commitNote };
}

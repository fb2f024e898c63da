// The review reducer wired to the page: its first state from the URL (?event=, ?frame=), the events as they
// load, the seeks it asks for performed on the player, and the selected event written back to the URL.
import { useEffect, useReducer, useRef, useState, type Dispatch, type RefObject } from "react";
import { useSearchParams } from "react-router";
import type { PolypEvent } from "../../api/types";
import type { JumpTarget } from "../../timeline/navigation";
import type { PlayerHandle } from "./Player";
import { initialReviewState, reviewReducer, type InitialReview, type ReviewAction, type ReviewState } from "./reviewState";

interface UseReviewOptions {
  /** The video's events as loaded (null until then; a new array after a reload). */
  events: PolypEvent[] | null;
  player: RefObject<PlayerHandle | null>;
  /** The player is on the page (it is rendered once the video row has loaded). */
  playerReady: boolean;
  jumpRef: RefObject<JumpTarget>;
}

export interface Review {
  state: ReviewState;
  /** The latest state, for callbacks that run after a render (key handlers, answers of the API). */
  stateRef: RefObject<ReviewState>;
  dispatch: Dispatch<ReviewAction>;
  /** Where the URL opened the page. */
  initial: InitialReview;
}

export function useReview({ events, player, playerReady, jumpRef }: UseReviewOptions): Review {
  const [search, setSearch] = useSearchParams();
  const [initial] = useState<InitialReview>(() => ({
    selectedId: Number(search.get("event")) || null,
    frame: search.has("frame") ? Math.max(0, Number(search.get("frame")) || 0) : null,
  }));
  const [state, dispatch] = useReducer(reviewReducer, initial, initialReviewState);
  const stateRef = useRef<ReviewState>(state);
  stateRef.current = state;

  // The events as loaded (and reloaded when processing ends); the reducer keeps the verdicts given since.
  useEffect(() => {
    if (events) dispatch({ type: "eventsLoaded", events, jump: jumpRef.current });
  }, [events, jumpRef]);

  // Seeks the reducer asks for (selecting an event, a deep link), once each, once the player is there.
  const appliedSeek = useRef(0);
  useEffect(() => {
    if (!state.seek || !playerReady || appliedSeek.current === state.seek.n || !player.current) return;
    appliedSeek.current = state.seek.n;
    player.current.pause();
    player.current.seek(state.seek.frame);
  }, [state.seek, playerReady, player]);

  // The URL names the selected event (a reload or a shared link opens it again).
  const urlEvent = useRef(initial.selectedId);
  useEffect(() => {
    if (state.selectedId === null || state.selectedId === urlEvent.current) return;
    urlEvent.current = state.selectedId;
    const id = state.selectedId;
    setSearch(
      (previous) => {
        const next = new URLSearchParams(previous);
        next.set("event", String(id));
        next.delete("frame");
        return next;
      },
      { replace: true },
    );
  }, [state.selectedId, setSearch]);

  return { state, stateRef, dispatch, initial };
}

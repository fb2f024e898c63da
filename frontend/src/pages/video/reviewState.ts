/**
 * The video review page's state as a pure reducer (no DOM, no fetch; unit-tested in reviewState.test.ts):
 * which event is selected, the playhead, the notes typed and not saved yet, each event's save status, and
 * where N / P and "after a verdict" go. The page dispatches what happened (a key, a click, an answer of the
 * API) and performs the effects the state asks for (`seek`).
 *
 * Notes. A note belongs to one event. What is typed is kept per event (`drafts`) until it is saved, so moving
 * to another event never drops it. A note is saved with a verdict (a verdict key), or on its own for an event
 * that already has a verdict (Enter or leaving the field): as a new verdict with the same value, since verdicts
 * are an append-only history. After a verdict the selection moves to the next event without one, and the event
 * just judged stays on the panel (`justJudged`) with its own note field, so "1, then type a note, then Enter"
 * saves the note on the event that was judged, never on the next one.
 */
import type { PolypEvent, Verdict } from "../../api/types";
import { eventAt, eventFrame, nextUnreviewed, sortEvents, type JumpTarget } from "../../timeline/navigation";

export type SaveStatus =
  | { readonly state: "saving" }
  | { readonly state: "saved" }
  | { readonly state: "error"; readonly message: string }
  /** Enter on a note of an event without a verdict: the note waits for the verdict. */
  | { readonly state: "needsVerdict" };

/** What a note field shows beside it. "unsaved": typed, not saved yet. */
export type NoteStatus = "clean" | "unsaved" | "saving" | "saved" | "error" | "needsVerdict";

export interface ReviewState {
  /** In video order (sortEvents). */
  readonly events: readonly PolypEvent[];
  readonly selectedId: number | null;
  /** The playhead: the frame the player reported, or the one a seek just asked for. */
  readonly frame: number;
  /** Note text typed and not saved yet, by event id. */
  readonly drafts: Readonly<Record<number, string>>;
  readonly saves: Readonly<Record<number, SaveStatus>>;
  /** The event judged just now, when the selection moved on from it: the panel keeps its note field. */
  readonly justJudged: number | null;
  /** N found no event after this one and every event has a verdict: the page offers the next video. */
  readonly atEnd: boolean;
  /** A seek the page should perform; `n` changes with every request, so the same frame twice seeks twice. */
  readonly seek: { readonly frame: number; readonly n: number } | null;
  /** Set until the first events arrive: a deep link (?event=) seeks to its event then. */
  readonly deepLink: { readonly seekToEvent: boolean } | null;
}

export type ReviewAction =
  | { type: "eventsLoaded"; events: readonly PolypEvent[]; jump: JumpTarget }
  | { type: "select"; id: number; jump: JumpTarget }
  | { type: "frame"; frame: number }
  | { type: "step"; direction: 1 | -1; jump: JumpTarget }
  | { type: "noteEdited"; id: number; text: string }
  | { type: "noteNeedsVerdict"; id: number }
  | { type: "saveStarted"; id: number }
  | { type: "saved"; id: number; verdict: Verdict; note: string; advance: boolean; jump: JumpTarget }
  | { type: "saveFailed"; id: number; message: string };

export interface InitialReview {
  /** ?event= of the URL. */
  selectedId: number | null;
  /** ?frame= of the URL (the player opens there), else null: a deep-linked event is then shown at its jump frame. */
  frame: number | null;
}

export function initialReviewState({ selectedId, frame }: InitialReview): ReviewState {
  return {
    events: [],
    selectedId,
    frame: frame ?? 0,
    drafts: {},
    saves: {},
    justJudged: null,
    atEnd: false,
    seek: null,
    deepLink: selectedId === null ? null : { seekToEvent: frame === null },
  };
}

const seekTo = (state: ReviewState, frame: number): ReviewState["seek"] => ({ frame, n: (state.seek?.n ?? 0) + 1 });

function withoutKey<T>(record: Readonly<Record<number, T>>, id: number): Record<number, T> {
  const next = { ...record };
  delete next[id];
  return next;
}

function selectEvent(state: ReviewState, event: PolypEvent, jump: JumpTarget): ReviewState {
  const frame = eventFrame(event, jump);
  return { ...state, selectedId: event.id, frame, seek: seekTo(state, frame), justJudged: null, atEnd: false };
}

export function reviewReducer(state: ReviewState, action: ReviewAction): ReviewState {
  switch (action.type) {
    case "eventsLoaded": {
      const events = sortEvents(action.events);
      const next = { ...state, events };
      if (state.deepLink === null || events.length === 0) return next;
      const target = events.find((e) => e.id === state.selectedId);
      if (!target || !state.deepLink.seekToEvent) return { ...next, deepLink: null };
      const frame = eventFrame(target, action.jump);
      return { ...next, deepLink: null, frame, seek: seekTo(state, frame) };
    }
    case "select": {
      const event = state.events.find((e) => e.id === action.id);
      return event ? selectEvent(state, event, action.jump) : state;
    }
    case "frame":
      return action.frame === state.frame ? state : { ...state, frame: action.frame };
    case "step": {
      const plan = planStep(state, action.direction);
      if (plan.kind === "event") return selectEvent(state, plan.event, action.jump);
      if (plan.kind === "end") return state.atEnd ? state : { ...state, atEnd: true };
      return state;
    }
    case "noteEdited": {
      const saves = state.saves[action.id]?.state === "saving" ? state.saves : withoutKey(state.saves, action.id);
      return { ...state, drafts: { ...state.drafts, [action.id]: action.text }, saves };
    }
    case "noteNeedsVerdict":
      return { ...state, saves: { ...state.saves, [action.id]: { state: "needsVerdict" } } };
    case "saveStarted":
      return { ...state, saves: { ...state.saves, [action.id]: { state: "saving" } } };
    case "saveFailed":
      return { ...state, saves: { ...state.saves, [action.id]: { state: "error", message: action.message } } };
    case "saved": {
      const events = state.events.map((e) => (e.id === action.id ? { ...e, verdict: action.verdict } : e));
      // Text typed while the request was on its way is newer than what was saved: keep it as the draft.
      const drafts = state.drafts[action.id] === action.note ? withoutKey(state.drafts, action.id) : state.drafts;
      const saved: ReviewState = { ...state, events, drafts, saves: { ...state.saves, [action.id]: { state: "saved" } } };
      if (!action.advance || state.selectedId !== action.id) return saved;
      const next = nextUnreviewed(events, action.id);
      if (next === null) return { ...saved, justJudged: null, atEnd: true };
      return { ...selectEvent(saved, next, action.jump), justJudged: action.id };
    }
  }
}

// ---- Reading the state -------------------------------------------------------------------------------

export function selectedEvent(state: ReviewState): PolypEvent | null {
  return state.events.find((e) => e.id === state.selectedId) ?? null;
}

/** The event judged just now whose note field the panel keeps, while it is not the selected one. */
export function justJudgedEvent(state: ReviewState): PolypEvent | null {
  if (state.justJudged === null || state.justJudged === state.selectedId) return null;
  return state.events.find((e) => e.id === state.justJudged) ?? null;
}

/** The note field's text: what was typed, else the current verdict's note. */
export function noteText(state: ReviewState, event: PolypEvent): string {
  return state.drafts[event.id] ?? event.verdict?.note ?? "";
}

/** Typed and different from the saved note. */
export function hasUnsavedNote(state: Pick<ReviewState, "drafts">, event: PolypEvent): boolean {
  const draft = state.drafts[event.id];
  return draft !== undefined && draft.trim() !== (event.verdict?.note ?? "").trim();
}

export function noteStatus(state: ReviewState, event: PolypEvent): NoteStatus {
  const save = state.saves[event.id];
  if (save?.state === "saving" || save?.state === "error" || save?.state === "needsVerdict") return save.state;
  if (hasUnsavedNote(state, event)) return "unsaved";
  return save?.state === "saved" ? "saved" : "clean";
}

export function isSaving(state: ReviewState, id: number): boolean {
  return state.saves[id]?.state === "saving";
}

export function pendingCount(state: ReviewState): number {
  return state.events.filter((e) => e.verdict === null).length;
}

export type StepPlan = { kind: "event"; event: PolypEvent } | { kind: "end" } | { kind: "none" };

/**
 * Where N (1) or P (-1) goes. From the selected event while the playhead is in it (or at the frame the
 * selection seeked to): its neighbour. Otherwise from the playhead: N goes to the next event starting after
 * it (so N inside an event goes to the next event, and N at an event's first frame selects that event), P to
 * the last one starting before it. Past the last event N never dead-ends: it goes to the first event still
 * without a verdict, and when there is none it reports the end (the page then offers the next video).
 */
export function planStep(state: ReviewState, direction: 1 | -1): StepPlan {
  const { events, frame } = state;
  const selected = selectedEvent(state);
  let target: PolypEvent | null = null;
  if (selected && frame >= selected.start_index && frame <= selected.end_index) {
    const position = events.indexOf(selected);
    target = events[position + direction] ?? null;
  } else if (direction === 1) {
    const inside = eventAt(events, frame);
    target =
      inside && inside.start_index < frame
        ? (events[events.indexOf(inside) + 1] ?? null)
        : (events.find((e) => e.start_index >= frame) ?? null);
  } else {
    for (let i = events.length - 1; i >= 0 && target === null; i--) if (events[i]!.start_index < frame) target = events[i]!;
  }
  if (target) return { kind: "event", event: target };
  if (direction === -1) return { kind: "none" };
  const unjudged = nextUnreviewed(events, selected?.id ?? null);
  return unjudged ? { kind: "event", event: unjudged } : { kind: "end" };
}

import { describe, expect, test } from "vitest";
import type { PolypEvent, Verdict, VerdictValue } from "../../api/types";
import {
  initialReviewState,
  justJudgedEvent,
  noteStatus,
  noteText,
  pendingCount,
  planStep,
  reviewReducer,
  selectedEvent,
  type ReviewAction,
  type ReviewState,
} from "./reviewState";

const ev = (id: number, start: number, end: number, verdict: Verdict | null = null): PolypEvent => ({
  id,
  video: 1,
  start_index: start,
  end_index: end,
  peak_index: Math.floor((start + end) / 2),
  peak_score: 0.9,
  start_s: start / 10,
  end_s: (end + 1) / 10,
  verdict,
});

const verdict = (value: VerdictValue, note = "", id = 1): Verdict => ({ id, value, note, reviewer: "dr-gi", created_at: "2026-12-06T10:00:00Z" });

const EVENTS = [ev(3, 500, 600), ev(1, 100, 200), ev(2, 300, 400)];

function run(state: ReviewState, ...actions: ReviewAction[]): ReviewState {
  return actions.reduce(reviewReducer, state);
}

const loaded = (selectedId: number | null = null, frame: number | null = null, events: PolypEvent[] = EVENTS) =>
  run(initialReviewState({ selectedId, frame }), { type: "eventsLoaded", events, jump: "start" });

describe("loading and deep links", () => {
  test("events are kept in video order", () => {
    expect(loaded().events.map((e) => e.id)).toEqual([1, 2, 3]);
  });

  test("a deep link to an event seeks to it once the events are in", () => {
    const state = loaded(2);
    expect(selectedEvent(state)?.id).toBe(2);
    expect(state.seek?.frame).toBe(300);
    // A later reload (processing finished) does not seek again.
    expect(run(state, { type: "eventsLoaded", events: EVENTS, jump: "start" }).seek).toBe(state.seek);
  });

  test("a deep link with a frame (the queue's Review: the peak) leaves the player where the URL says", () => {
    const state = loaded(2, 350);
    expect(state.seek).toBeNull();
    expect(state.frame).toBe(350);
    expect(selectedEvent(state)?.id).toBe(2);
  });
});

describe("N and P", () => {
  test("from the selected event they go to its neighbours, at the jump frame", () => {
    const state = run(loaded(), { type: "select", id: 1, jump: "peak" }, { type: "step", direction: 1, jump: "peak" });
    expect(state.selectedId).toBe(2);
    expect(state.seek?.frame).toBe(350);
    expect(run(state, { type: "step", direction: -1, jump: "start" }).selectedId).toBe(1);
  });

  test("on a fresh page N selects an event that starts at the playhead", () => {
    expect(run(loaded(null, 100), { type: "step", direction: 1, jump: "start" }).selectedId).toBe(1);
    expect(run(loaded(null, 0), { type: "step", direction: 1, jump: "start" }).selectedId).toBe(1);
  });

  test("N inside an event goes to the next event, also when another event is selected", () => {
    expect(run(loaded(null, 150), { type: "step", direction: 1, jump: "start" }).selectedId).toBe(2);
    // Event 1 selected, then the reviewer scrubbed into event 2: N goes past event 2, not to it.
    const scrubbed = run(loaded(), { type: "select", id: 1, jump: "start" }, { type: "frame", frame: 320 });
    expect(run(scrubbed, { type: "step", direction: 1, jump: "start" }).selectedId).toBe(3);
    // P there selects the event the playhead is in (back to its start), as "previous" does on a track.
    expect(run(scrubbed, { type: "step", direction: -1, jump: "start" }).selectedId).toBe(2);
  });

  test("between events N and P go by the playhead", () => {
    expect(run(loaded(null, 250), { type: "step", direction: 1, jump: "start" }).selectedId).toBe(2);
    expect(run(loaded(null, 250), { type: "step", direction: -1, jump: "start" }).selectedId).toBe(1);
    expect(planStep(loaded(null, 50), -1)).toEqual({ kind: "none" });
  });

  test("past the last event N goes back to an event still without a verdict", () => {
    const events = [ev(1, 100, 200), ev(2, 300, 400, verdict("confirmed")), ev(3, 500, 600, verdict("uncertain"))];
    const state = run(loaded(3, null, events), { type: "step", direction: 1, jump: "start" });
    expect(state.selectedId).toBe(1);
    expect(state.atEnd).toBe(false);
  });

  test("past the last event with every verdict given, N reports the end (the next video is offered)", () => {
    const events = [ev(1, 100, 200, verdict("confirmed")), ev(2, 300, 400, verdict("false_positive"))];
    const state = run(loaded(2, null, events), { type: "step", direction: 1, jump: "start" });
    expect(state.selectedId).toBe(2);
    expect(state.atEnd).toBe(true);
    expect(planStep(state, 1)).toEqual({ kind: "end" });
    // Selecting an event again leaves the end.
    expect(run(state, { type: "select", id: 1, jump: "start" }).atEnd).toBe(false);
  });

  test("P at the first event stays", () => {
    const state = loaded(1);
    expect(run(state, { type: "step", direction: -1, jump: "start" })).toBe(state);
  });
});

describe("verdicts and notes", () => {
  test("a verdict selects the next event without one and keeps the judged event on the panel", () => {
    let state = run(loaded(1), { type: "saveStarted", id: 1 });
    expect(noteStatus(state, selectedEvent(state)!)).toBe("saving");
    state = run(state, { type: "saved", id: 1, verdict: verdict("confirmed"), note: "", advance: true, jump: "start" });
    expect(state.selectedId).toBe(2);
    expect(state.seek?.frame).toBe(300);
    expect(justJudgedEvent(state)?.id).toBe(1);
    expect(justJudgedEvent(state)?.verdict?.value).toBe("confirmed");
    expect(pendingCount(state)).toBe(2);
  });

  test("the bug: 1, then a note, then Enter: the note is the judged event's, typed on its own field", () => {
    let state = run(loaded(1), { type: "saved", id: 1, verdict: verdict("confirmed"), note: "", advance: true, jump: "start" });
    const judged = justJudgedEvent(state)!;
    state = run(state, { type: "noteEdited", id: judged.id, text: "sessile, 6 mm" });
    expect(noteStatus(state, justJudgedEvent(state)!)).toBe("unsaved");
    // The next event's note field is untouched.
    expect(noteText(state, selectedEvent(state)!)).toBe("");
    // Enter saves the note as a new verdict with the same value; the selection stays where it is.
    state = run(state, { type: "saveStarted", id: 1 }, { type: "saved", id: 1, verdict: verdict("confirmed", "sessile, 6 mm", 2), note: "sessile, 6 mm", advance: false, jump: "start" });
    const after = justJudgedEvent(state)!;
    expect(after.verdict?.note).toBe("sessile, 6 mm");
    expect(noteStatus(state, after)).toBe("saved");
    expect(noteText(state, after)).toBe("sessile, 6 mm");
    expect(state.selectedId).toBe(2);
  });

  test("a note typed on an event without a verdict is kept while moving around, and waits for its verdict", () => {
    let state = run(loaded(1), { type: "noteEdited", id: 1, text: "flat lesion" }, { type: "noteNeedsVerdict", id: 1 });
    expect(noteStatus(state, selectedEvent(state)!)).toBe("needsVerdict");
    state = run(state, { type: "select", id: 3, jump: "start" }, { type: "select", id: 1, jump: "start" });
    expect(noteText(state, selectedEvent(state)!)).toBe("flat lesion");
    expect(noteStatus(state, selectedEvent(state)!)).toBe("needsVerdict");
    state = run(state, { type: "noteEdited", id: 1, text: "flat lesion, 4 mm" });
    expect(noteStatus(state, selectedEvent(state)!)).toBe("unsaved");
  });

  test("text typed while a save is on its way is kept as the newer draft", () => {
    let state = run(loaded(1), { type: "noteEdited", id: 1, text: "a" }, { type: "saveStarted", id: 1 }, { type: "noteEdited", id: 1, text: "ab" });
    expect(noteStatus(state, selectedEvent(state)!)).toBe("saving");
    state = run(state, { type: "saved", id: 1, verdict: verdict("uncertain", "a"), note: "a", advance: false, jump: "start" });
    expect(noteText(state, selectedEvent(state)!)).toBe("ab");
    expect(noteStatus(state, selectedEvent(state)!)).toBe("unsaved");
  });

  test("a failed save keeps the note and says why", () => {
    let state = run(loaded(1), { type: "noteEdited", id: 1, text: "keep me" }, { type: "saveStarted", id: 1 });
    state = run(state, { type: "saveFailed", id: 1, message: "The study is closed." });
    expect(noteStatus(state, selectedEvent(state)!)).toBe("error");
    expect(state.saves[1]).toEqual({ state: "error", message: "The study is closed." });
    expect(noteText(state, selectedEvent(state)!)).toBe("keep me");
    expect(state.selectedId).toBe(1);
  });

  test("the last verdict of a video keeps the event selected and reaches the end", () => {
    const events = [ev(1, 100, 200, verdict("confirmed")), ev(2, 300, 400)];
    const state = run(loaded(2, null, events), { type: "saved", id: 2, verdict: verdict("false_positive"), note: "", advance: true, jump: "start" });
    expect(state.selectedId).toBe(2);
    expect(state.atEnd).toBe(true);
    expect(justJudgedEvent(state)).toBeNull();
    expect(pendingCount(state)).toBe(0);
  });

  test("a re-judged event keeps its note unless it is edited", () => {
    const events = [ev(1, 100, 200, verdict("uncertain", "check histology")), ev(2, 300, 400)];
    const state = loaded(1, null, events);
    expect(noteText(state, selectedEvent(state)!)).toBe("check histology");
    expect(noteStatus(state, selectedEvent(state)!)).toBe("clean");
  });

  test("choosing another event leaves the just-judged line (its unsaved note stays a draft)", () => {
    let state = run(loaded(1), { type: "saved", id: 1, verdict: verdict("confirmed"), note: "", advance: true, jump: "start" });
    state = run(state, { type: "noteEdited", id: 1, text: "half typed" }, { type: "select", id: 3, jump: "start" });
    expect(justJudgedEvent(state)).toBeNull();
    expect(state.drafts[1]).toBe("half typed");
  });
});

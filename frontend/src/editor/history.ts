/**
 * Undo history of patches (see patch.ts): one entry per finished edit (a stroke from pointerdown to
 * pointerup, a closed polygon, a mask replacement). Immutable: every operation returns a new History;
 * undo/redo also write the patch into the mask they are given.
 *
 * Memory cap: at most MAX_HISTORY_ENTRIES entries and MAX_HISTORY_BYTES of patch bytes (past and
 * future together); past the cap the oldest entries are dropped (they can no longer be undone).
 * The newest entry is always kept, even when it alone is larger than the byte cap.
 */
import type { Rect } from "../geometry/rect";
import type { Mask } from "../mask/rle";
import { applyPatch, type Patch } from "./patch";

/** 200 edits: far more than an annotator undoes in practice (the brief's suggestion). */
export const MAX_HISTORY_ENTRIES = 200;
/** 64 MiB: 16 whole-frame replacements of a 1920 x 1080 mask (4 MiB each, before + after), or
 * hundreds of ordinary strokes (a stroke across the frame holds ~0.5 MiB of 64 px tiles). */
export const MAX_HISTORY_BYTES = 64 * 1024 * 1024;

export type EditLabel = "stroke" | "erase" | "polygon" | "replace-base" | "restore-draft";

export interface HistoryEntry {
  readonly id: number;
  readonly label: EditLabel;
  readonly patch: Patch;
}

export interface HistoryLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export interface History {
  readonly past: readonly HistoryEntry[];
  readonly future: readonly HistoryEntry[];
  readonly bytes: number;
  /** Id the next entry gets; ids only grow, so an id names one state of the mask. */
  readonly nextId: number;
  /** Id of the newest entry dropped by the cap (0: none), the head once everything is undone. */
  readonly floorId: number;
  readonly limits: HistoryLimits;
}

export const DEFAULT_LIMITS: HistoryLimits = {
  maxEntries: MAX_HISTORY_ENTRIES,
  maxBytes: MAX_HISTORY_BYTES,
};

export function emptyHistory(limits: HistoryLimits = DEFAULT_LIMITS): History {
  return { past: [], future: [], bytes: 0, nextId: 1, floorId: 0, limits };
}

/** Id of the state the mask is in now: the newest applied entry, or floorId (0 = the base mask).
 * The editor compares it with the id at the last save to know whether the mask is dirty. */
export function headId(h: History): number {
  const last = h.past[h.past.length - 1];
  return last === undefined ? h.floorId : last.id;
}

export function canUndo(h: History): boolean {
  return h.past.length > 0;
}

export function canRedo(h: History): boolean {
  return h.future.length > 0;
}

/** Records an edit that has already been applied to the mask. Clears the redo stack (a new edit
 * after undo forks history; the undone branch is gone) and enforces the caps. */
export function pushEntry(h: History, label: EditLabel, patch: Patch): History {
  const entry: HistoryEntry = { id: h.nextId, label, patch };
  const past = [...h.past, entry];
  let bytes = past.reduce((sum, e) => sum + e.patch.bytes, 0);
  let floorId = h.floorId;
  while (past.length > 1 && (past.length > h.limits.maxEntries || bytes > h.limits.maxBytes)) {
    const dropped = past.shift() as HistoryEntry;
    bytes -= dropped.patch.bytes;
    floorId = dropped.id;
  }
  return { past, future: [], bytes, nextId: h.nextId + 1, floorId, limits: h.limits };
}

/** Reverts the newest edit in `mask`; null when there is nothing to undo. */
export function undo(h: History, mask: Mask, width: number): { history: History; rect: Rect } | null {
  const entry = h.past[h.past.length - 1];
  if (entry === undefined) return null;
  const rect = applyPatch(mask, width, entry.patch, "before");
  return {
    history: { ...h, past: h.past.slice(0, -1), future: [entry, ...h.future] },
    rect,
  };
}

/** Re-applies the newest undone edit; null when there is nothing to redo. */
export function redo(h: History, mask: Mask, width: number): { history: History; rect: Rect } | null {
  const entry = h.future[0];
  if (entry === undefined) return null;
  const rect = applyPatch(mask, width, entry.patch, "after");
  return {
    history: { ...h, past: [...h.past, entry], future: h.future.slice(1) },
    rect,
  };
}

/**
 * "Never lose an edit": unsaved masks are kept in localStorage under the page's draftKey, as COCO
 * RLE (a few KB for a 1080p polyp mask, where raw bytes would be 2 MB and over some quotas), and
 * offered back after a reload or a crash.
 *
 * Policy (DraftKeeper): while the mask is dirty, every change schedules a write DRAFT_DELAY_MS later
 * (debounced, and postponed while a stroke is in progress: encoding a 1080p mask costs a few ms,
 * which must not land in a brush stroke's frame);
 * pending writes are flushed when the page is hidden or the editor unmounts. The draft is removed
 * only when the edit reached the server (markSaved) or the user discards it: not when the user
 * undoes back to the saved state or loads someone else's revision, because their edit is then only
 * in memory (the undo history) and a crash would lose it.
 */
import { decodeRle, encodeRle, type Mask } from "../mask/rle";

/** The subset of the Web Storage API used, so tests can pass a Map-backed fake. */
export interface DraftStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface Draft {
  readonly width: number;
  readonly height: number;
  /** COCO compressed RLE of the mask (see mask/rle.ts). */
  readonly rle: string;
  /** When it was written, ms since the epoch. */
  readonly savedAt: number;
}

/** Namespaces our keys in the origin's shared localStorage. */
export const DRAFT_PREFIX = "polypscope:mask-draft:";
/** 400 ms after the last change: long enough to batch a burst of strokes into one encode, short
 * enough that a crash loses at most the last fraction of a second. */
export const DRAFT_DELAY_MS = 400;

/** Writes a draft; false when storage refused it (quota, private mode). */
export function saveDraft(
  storage: DraftStorage,
  key: string,
  mask: Mask,
  width: number,
  height: number,
  now: number = Date.now(),
): boolean {
  const draft: Draft = { width, height, rle: encodeRle(mask, height, width), savedAt: now };
  try {
    storage.setItem(DRAFT_PREFIX + key, JSON.stringify(draft));
    return true;
  } catch {
    return false;
  }
}

/** The draft stored under `key` for a width x height mask, or null when there is none or it is
 * unreadable or for another size (then it is removed: it can never be applied). */
export function loadDraft(storage: DraftStorage, key: string, width: number, height: number): Draft | null {
  let raw: string | null;
  try {
    raw = storage.getItem(DRAFT_PREFIX + key);
  } catch {
    return null;
  }
  if (raw === null) return null;
  try {
    const d = JSON.parse(raw) as Partial<Draft>;
    if (
      d.width === width &&
      d.height === height &&
      typeof d.rle === "string" &&
      typeof d.savedAt === "number"
    ) {
      decodeRle(d.rle, height, width); // throws when corrupt
      return { width, height, rle: d.rle, savedAt: d.savedAt };
    }
  } catch {
    // fall through: unreadable
  }
  clearDraft(storage, key);
  return null;
}

export function clearDraft(storage: DraftStorage, key: string): void {
  try {
    storage.removeItem(DRAFT_PREFIX + key);
  } catch {
    // storage unavailable: nothing to clear
  }
}

/** Whether a draft holds something other than `mask` (worth offering back). */
export function draftDiffers(draft: Draft, mask: Mask): boolean {
  const m = decodeRle(draft.rle, draft.height, draft.width);
  for (let i = 0; i < m.length; i++) if (m[i] !== (mask[i] !== 0 ? 1 : 0)) return true;
  return false;
}

export interface DraftKeeperOptions {
  readonly storage: DraftStorage;
  readonly key: string;
  readonly width: number;
  readonly height: number;
  /** Reads the mask at write time (the editor's live buffer). */
  readonly getMask: () => Mask;
  /** True while a write should wait (a stroke in progress); the write is retried a delay later. */
  readonly isBusy?: () => boolean;
  readonly delayMs?: number;
}

/** Schedules debounced draft writes for one editor (see the policy at the top). */
export class DraftKeeper {
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: DraftKeeperOptions) {}

  /** The mask changed and differs from the saved one: write it soon. */
  changed(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.options.isBusy?.() === true) this.changed();
      else this.flush();
    }, this.options.delayMs ?? DRAFT_DELAY_MS);
  }

  /** Writes a pending draft now (page hidden, unmount, save), busy or not. */
  flush(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    const o = this.options;
    saveDraft(o.storage, o.key, o.getMask(), o.width, o.height);
  }

  /** The edit reached the server, or the user discarded it: drop pending writes and the draft. */
  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    clearDraft(this.options.storage, this.options.key);
  }

  get pending(): boolean {
    return this.timer !== null;
  }
}

import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { decodeRle } from "../mask/rle";
import {
  clearDraft,
  DRAFT_DELAY_MS,
  DRAFT_PREFIX,
  draftDiffers,
  DraftKeeper,
  loadDraft,
  saveDraft,
  type DraftStorage,
} from "./draft";

class MemoryStorage implements DraftStorage {
  readonly items = new Map<string, string>();
  writes = 0;
  full = false;
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.full) throw new Error("QuotaExceededError");
    this.writes++;
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

const W = 30;
const H = 20;

function maskWith(...indices: number[]): Uint8Array {
  const m = new Uint8Array(W * H);
  for (const i of indices) m[i] = 1;
  return m;
}

describe("drafts", () => {
  test("round-trip through storage as RLE", () => {
    const s = new MemoryStorage();
    const m = maskWith(0, 45, 599);
    expect(saveDraft(s, "frame:1:7", m, W, H, 1234)).toBe(true);
    expect(s.items.has(DRAFT_PREFIX + "frame:1:7")).toBe(true);
    const d = loadDraft(s, "frame:1:7", W, H);
    expect(d?.savedAt).toBe(1234);
    expect(d && decodeRle(d.rle, H, W)).toEqual(m);
  });
  test("a draft for another size is dropped", () => {
    const s = new MemoryStorage();
    saveDraft(s, "k", maskWith(1), W, H);
    expect(loadDraft(s, "k", W + 1, H)).toBeNull();
    expect(s.items.size).toBe(0);
  });
  test("a corrupt draft is dropped, not thrown", () => {
    const s = new MemoryStorage();
    s.setItem(DRAFT_PREFIX + "k", JSON.stringify({ width: W, height: H, rle: "0", savedAt: 1 }));
    expect(loadDraft(s, "k", W, H)).toBeNull();
    s.setItem(DRAFT_PREFIX + "k", "{not json");
    expect(loadDraft(s, "k", W, H)).toBeNull();
  });
  test("a full storage makes saveDraft return false", () => {
    const s = new MemoryStorage();
    s.full = true;
    expect(saveDraft(s, "k", maskWith(1), W, H)).toBe(false);
  });
  test("draftDiffers compares pixels", () => {
    const s = new MemoryStorage();
    saveDraft(s, "k", maskWith(3), W, H);
    const d = loadDraft(s, "k", W, H);
    if (!d) throw new Error("no draft");
    expect(draftDiffers(d, maskWith(3))).toBe(false);
    expect(draftDiffers(d, maskWith(4))).toBe(true);
    clearDraft(s, "k");
    expect(loadDraft(s, "k", W, H)).toBeNull();
  });
});

describe("DraftKeeper", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("debounces a burst of changes into one write of the latest mask", () => {
    const s = new MemoryStorage();
    let mask = maskWith(1);
    const keeper = new DraftKeeper({ storage: s, key: "k", width: W, height: H, getMask: () => mask });
    keeper.changed();
    vi.advanceTimersByTime(DRAFT_DELAY_MS - 1);
    keeper.changed();
    mask = maskWith(2);
    vi.advanceTimersByTime(DRAFT_DELAY_MS - 1);
    expect(s.writes).toBe(0);
    vi.advanceTimersByTime(1);
    expect(s.writes).toBe(1);
    const d = loadDraft(s, "k", W, H);
    expect(d && draftDiffers(d, maskWith(2))).toBe(false);
  });
  test("a write due during a stroke waits until the stroke is over", () => {
    const s = new MemoryStorage();
    let busy = true;
    const keeper = new DraftKeeper({
      storage: s,
      key: "k",
      width: W,
      height: H,
      getMask: () => maskWith(1),
      isBusy: () => busy,
    });
    keeper.changed();
    vi.advanceTimersByTime(5 * DRAFT_DELAY_MS);
    expect(s.writes).toBe(0);
    expect(keeper.pending).toBe(true);
    busy = false;
    vi.advanceTimersByTime(DRAFT_DELAY_MS);
    expect(s.writes).toBe(1);
    expect(keeper.pending).toBe(false);
  });
  test("flush writes a pending draft at once; clear cancels and removes it", () => {
    const s = new MemoryStorage();
    const keeper = new DraftKeeper({ storage: s, key: "k", width: W, height: H, getMask: () => maskWith(5) });
    keeper.flush();
    expect(s.writes).toBe(0); // nothing pending
    keeper.changed();
    keeper.flush();
    expect(s.writes).toBe(1);
    keeper.changed();
    keeper.clear();
    vi.advanceTimersByTime(10 * DRAFT_DELAY_MS);
    expect(s.writes).toBe(1);
    expect(loadDraft(s, "k", W, H)).toBeNull();
  });
});

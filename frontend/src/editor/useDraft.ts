/**
 * Draft persistence for one editor (policy in draft.ts): offers a stored draft back on start, keeps
 * the unsaved edit stored while the user works, flushes when the page is hidden or closed.
 */
import { useEffect, useRef, useState, type RefObject } from "react";
import { decodeRle } from "../mask/rle";
import { replaceMask } from "./actions";
import { clearDraft, DraftKeeper, draftDiffers, loadDraft, type Draft, type DraftStorage } from "./draft";
import { headId } from "./history";
import { isDirty } from "./state";
import type { EditorStore } from "./store";

/** localStorage, or null where it is unavailable (some private modes throw on access). */
function browserStorage(): DraftStorage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export interface DraftControls {
  /** A stored draft that differs from the mask the editor opened with; null when none. */
  readonly offer: Draft | null;
  /** Loads the offered draft as an undoable edit. */
  restore(): void;
  /** Deletes the offered draft. */
  discard(): void;
  /** The keeper, for markSaved (clear) and save (flush). */
  readonly keeper: RefObject<DraftKeeper | null>;
}

export function useDraft(store: EditorStore, draftKey: string): DraftControls {
  const keeper = useRef<DraftKeeper | null>(null);
  const [offer, setOffer] = useState<Draft | null>(null);

  useEffect(() => {
    const storage = browserStorage();
    if (storage === null) return;
    const { width, height } = store.getState();
    const k = new DraftKeeper({
      storage,
      key: draftKey,
      width,
      height,
      getMask: () => store.getState().mask,
      // Never encode in the middle of a stroke: that frame would miss its 16 ms budget.
      isBusy: () => store.getState().gesture.kind === "stroke",
    });
    keeper.current = k;
    const draft = loadDraft(storage, draftKey, width, height);
    const differs = draft !== null && draftDiffers(draft, store.getState().mask);
    if (draft !== null && !differs) clearDraft(storage, draftKey);
    setOffer(differs ? draft : null);
    const off = store.subscribe((s, prev) => {
      if (headId(s.history) !== headId(prev.history) && isDirty(s)) k.changed();
    });
    const flush = (): void => k.flush();
    const onVisibility = (): void => {
      if (document.visibilityState === "hidden") k.flush();
    };
    window.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      off();
      window.removeEventListener("pagehide", flush);
      document.removeEventListener("visibilitychange", onVisibility);
      k.flush();
      if (keeper.current === k) keeper.current = null;
    };
  }, [store, draftKey]);

  return {
    offer,
    restore() {
      if (offer === null) return;
      const mask = decodeRle(offer.rle, offer.height, offer.width);
      store.dispatch((s) => replaceMask(s, mask, "restore-draft", false));
      setOffer(null);
    },
    discard() {
      keeper.current?.clear();
      setOffer(null);
    },
    keeper,
  };
}

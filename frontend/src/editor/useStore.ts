/**
 * React binding for EditorStore: re-render only when the selected slice changes (shallow compare),
 * so the 60 Hz pointer moves that only update hover or paint pixels never re-render the toolbar.
 */
import { useCallback, useRef, useSyncExternalStore } from "react";
import type { EditorState } from "./state";
import type { EditorStore } from "./store";

function shallowEqual<T extends object>(a: T, b: T): boolean {
  const ka = Object.keys(a) as (keyof T)[];
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is(a[k], b[k]));
}

export function useStoreSelector<T extends object>(store: EditorStore, select: (s: EditorState) => T): T {
  const cache = useRef<{ store: EditorStore; value: T } | null>(null);
  const getSnapshot = useCallback((): T => {
    const next = select(store.getState());
    const prev = cache.current;
    if (prev !== null && prev.store === store && shallowEqual(prev.value, next)) return prev.value;
    cache.current = { store, value: next };
    return next;
  }, [store, select]); // pass a module-level `select` so this callback keeps its identity
  const subscribe = useCallback((onChange: () => void) => store.subscribe(onChange), [store]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}

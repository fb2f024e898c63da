import { useEffect, useState } from "react";

/** State remembered across visits in localStorage (display preferences, never data). */
export function usePersistentState<T>(key: string, initial: T, isValid: (value: unknown) => value is T): [T, (value: T | ((previous: T) => T)) => void] {
  const [value, setValue] = useState<T>(() => {
    try {
      const stored = localStorage.getItem(key);
      if (stored !== null) {
        const parsed: unknown = JSON.parse(stored);
        if (isValid(parsed)) return parsed;
      }
    } catch {
      // Storage blocked or corrupt: fall back on the default.
    }
    return initial;
  });
  useEffect(() => {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Storage full or blocked: the preference just is not remembered.
    }
  }, [key, value]);
  return [value, setValue];
}

export const isBoolean = (value: unknown): value is boolean => typeof value === "boolean";
export const isUnitNumber = (value: unknown): value is number => typeof value === "number" && value >= 0 && value <= 1;

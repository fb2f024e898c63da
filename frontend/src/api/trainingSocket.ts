// The training run websocket (WS /ws/training-runs/{id}/): every message is the whole run.
import { parseJsonObject } from "./socket";
import type { TrainingRun } from "./types";

/** The run a `{"type": "run", "run": {...}}` frame carries, or null for anything else. */
export function parseRunMessage(data: unknown): TrainingRun | null {
  const value = parseJsonObject(data);
  if (!value || value.type !== "run") return null;
  const run = value.run as Partial<TrainingRun> | null | undefined;
  if (!run || typeof run !== "object" || typeof run.id !== "number" || typeof run.status !== "string") return null;
  // A run always has these lists and objects (API.md); default them so a page never reads undefined.
  return {
    ...(run as TrainingRun),
    history: Array.isArray(run.history) ? run.history : [],
    gate: run.gate ?? null,
    snapshot: run.snapshot ?? null,
    error: typeof run.error === "string" ? run.error : "",
  };
}

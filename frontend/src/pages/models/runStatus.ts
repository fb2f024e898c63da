// A training run's status: its label, its badge tone, whether it can still be cancelled or change, and
// how far along it is.
import type { TrainingProgress, TrainingRunStatus } from "../../api/types";
import { RUN_STATUS_LABELS } from "../labels";

export type Tone = "info" | "busy" | "ok" | "bad" | "muted";

const TONES: Record<TrainingRunStatus, Tone> = {
  queued: "info",
  running: "busy",
  evaluating: "busy",
  succeeded: "ok",
  failed: "bad",
  cancelled: "muted",
};

export function runStatusView(status: TrainingRunStatus): { label: string; tone: Tone } {
  return { label: RUN_STATUS_LABELS[status] ?? status, tone: TONES[status] ?? "muted" };
}

/** The API cancels runs that have not started training or are training (not once evaluation began). */
export function isCancellable(status: TrainingRunStatus): boolean {
  return status === "queued" || status === "running";
}

/** A run that ended: no more messages will change it, so stop following it. */
export function isFinished(status: TrainingRunStatus): boolean {
  return status === "succeeded" || status === "failed" || status === "cancelled";
}

/**
 * How far training has got, 0..1: epochs done plus the fraction of the current epoch's steps.
 * `progress.epoch` is taken as the epoch in progress, counted from 1 (0 before the first starts).
 * Evaluating and succeeded runs have finished training: 1.
 */
export function runFraction(status: TrainingRunStatus, progress: Pick<TrainingProgress, "epoch" | "epochs" | "step" | "steps">): number {
  if (status === "evaluating" || status === "succeeded") return 1;
  const { epoch, epochs, step, steps } = progress;
  if (!(epochs > 0)) return 0;
  const within = steps > 0 ? Math.min(1, Math.max(0, step / steps)) : 0;
  const done = Math.max(0, epoch - 1) + (epoch > 0 ? within : 0);
  return Math.min(1, Math.max(0, done / epochs));
}

/** "epoch 2 / 5 · step 40 / 120 · training", the words beside the bar. */
export function progressText(status: TrainingRunStatus, progress: TrainingProgress): string {
  if (status === "queued") return "waiting for a worker";
  const parts: string[] = [];
  if (progress.epochs > 0) parts.push(`epoch ${Math.max(0, progress.epoch)} / ${progress.epochs}`);
  if (progress.steps > 0 && status === "running") parts.push(`step ${progress.step} / ${progress.steps}`);
  if (progress.phase) parts.push(progress.phase);
  return parts.join(" · ");
}

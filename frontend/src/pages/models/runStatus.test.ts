import { expect, test } from "vitest";
import type { TrainingRunStatus } from "../../api/types";
import { isCancellable, isFinished, progressText, runFraction, runStatusView } from "./runStatus";

const ALL: TrainingRunStatus[] = ["queued", "running", "evaluating", "succeeded", "failed", "cancelled"];

test("every status has a label and a tone", () => {
  expect(ALL.map((s) => runStatusView(s))).toEqual([
    { label: "Queued", tone: "info" },
    { label: "Training", tone: "busy" },
    { label: "Evaluating", tone: "busy" },
    { label: "Succeeded", tone: "ok" },
    { label: "Failed", tone: "bad" },
    { label: "Cancelled", tone: "muted" },
  ]);
});

test("only queued and running runs can be cancelled; three statuses are final", () => {
  expect(ALL.filter(isCancellable)).toEqual(["queued", "running"]);
  expect(ALL.filter(isFinished)).toEqual(["succeeded", "failed", "cancelled"]);
});

test("the bar counts finished epochs plus the current epoch's steps", () => {
  expect(runFraction("queued", { epoch: 0, epochs: 5, step: 0, steps: 0 })).toBe(0);
  expect(runFraction("running", { epoch: 1, epochs: 4, step: 50, steps: 100 })).toBe(0.125);
  expect(runFraction("running", { epoch: 3, epochs: 4, step: 0, steps: 100 })).toBe(0.5);
  expect(runFraction("running", { epoch: 4, epochs: 4, step: 100, steps: 100 })).toBe(1);
  expect(runFraction("running", { epoch: 9, epochs: 4, step: 500, steps: 100 })).toBe(1);
  expect(runFraction("evaluating", { epoch: 4, epochs: 4, step: 3, steps: 100 })).toBe(1);
  expect(runFraction("failed", { epoch: 2, epochs: 0, step: 0, steps: 0 })).toBe(0);
});

test("the words beside the bar", () => {
  const progress = { epoch: 2, epochs: 5, step: 40, steps: 120, loss: 0.3, holdout_dice: null, phase: "training" };
  expect(progressText("running", progress)).toBe("epoch 2 / 5 · step 40 / 120 · training");
  expect(progressText("evaluating", { ...progress, phase: "gate" })).toBe("epoch 2 / 5 · gate");
  expect(progressText("queued", progress)).toBe("waiting for a worker");
});

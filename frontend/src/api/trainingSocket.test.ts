import { expect, test } from "vitest";
import { parseRunMessage } from "./trainingSocket";

test("a run message gives the whole run, with lists defaulted", () => {
  const run = { id: 7, status: "running", progress: { epoch: 1, epochs: 5, step: 3, steps: 10, loss: 0.4, holdout_dice: null, phase: "train" } };
  const parsed = parseRunMessage(JSON.stringify({ type: "run", run }));
  expect(parsed).toMatchObject({ id: 7, status: "running", history: [], gate: null, snapshot: null, error: "" });
  expect(parsed?.progress.step).toBe(3);
});

test("anything else is ignored", () => {
  expect(parseRunMessage(JSON.stringify({ type: "progress", video: 1 }))).toBeNull();
  expect(parseRunMessage(JSON.stringify({ type: "run", run: null }))).toBeNull();
  expect(parseRunMessage(JSON.stringify({ type: "run", run: { status: "running" } }))).toBeNull();
  expect(parseRunMessage("[1, 2]")).toBeNull();
  expect(parseRunMessage("{oops")).toBeNull();
  expect(parseRunMessage(3)).toBeNull();
});

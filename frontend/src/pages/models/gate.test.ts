import { expect, test } from "vitest";
import { ApiError } from "../../api/http";
import type { GateReport } from "../../api/types";
import { describeRule, failedChecks, formatDiff, formatInterval, formatScore, gateRows, needsOverrideReason, versionScores } from "./gate";

function report(overrides: Partial<GateReport> = {}): GateReport {
  return {
    passed: false,
    rule: { min_dice_gain: 0.005, require_ci_above_zero: true, max_drop: 0.02, guarded: ["se", "base_test_dice"] },
    holdout: { images: 120, patients: 6 },
    candidate: { dice: 0.8412, iou: 0.7601, se: 0.9, sp: null, event_sensitivity: null, base_test_dice: 0.85 },
    active: { dice: 0.8301, iou: 0.75, se: 0.92, sp: null, event_sensitivity: null, base_test_dice: 0.8815 },
    dice_diff: { mean: 0.0111, lo: -0.002, hi: 0.0243 },
    per_patient: [],
    checks: [
      { name: "dice_gain", passed: true, detail: "Dice rose by 0.0111 (needed 0.005)." },
      { name: "ci_above_zero", passed: false, detail: "The interval's low end is -0.0020." },
      { name: "no_drop_base_test_dice", passed: false, detail: "Dice on the base test split fell by 0.0315." },
    ],
    ...overrides,
  };
}

test("scores and differences read the same everywhere", () => {
  expect(formatScore(0.84123)).toBe("0.8412");
  expect(formatScore(null)).toBe("–");
  expect(formatScore(NaN)).toBe("–");
  expect(formatDiff(0.0111)).toBe("+0.0111");
  expect(formatDiff(-0.002)).toBe("\u22120.0020");
  expect(formatDiff(0.00001)).toBe("±0.0000");
  expect(formatDiff(null)).toBe("–");
  expect(formatInterval({ mean: 0.0111, lo: -0.002, hi: 0.0243 })).toBe("+0.0111 (95% CI \u22120.0020 to +0.0243)");
});

test("gate rows compare candidate and active, leaving out metrics neither measured", () => {
  const rows = gateRows(report());
  expect(rows.map((r) => r.key)).toEqual(["dice", "iou", "se", "base_test_dice"]);
  expect(rows[0]).toEqual({ key: "dice", label: "Dice", candidate: "0.8412", active: "0.8301", diff: "+0.0111", trend: "up", guarded: false });
  expect(rows[2]).toMatchObject({ key: "se", diff: "\u22120.0200", trend: "down", guarded: true });
});

test("a metric only one side measured has no difference", () => {
  const rows = gateRows(report({ candidate: { ...report().candidate, sp: 0.97 } }));
  expect(rows.find((r) => r.key === "sp")).toMatchObject({ candidate: "0.9700", active: "–", diff: "–", trend: null });
});

test("failed checks are named in order", () => {
  expect(failedChecks(report())).toEqual(["ci_above_zero", "no_drop_base_test_dice"]);
  expect(failedChecks(report({ checks: [{ name: "dice_gain", passed: true, detail: "" }] }))).toEqual([]);
});

test("the rule reads as a sentence", () => {
  expect(describeRule(report().rule)).toBe("Dice gain of at least +0.0050; its 95% interval above zero; no drop over 0.0200 in Sensitivity, Dice on the base test split");
  expect(describeRule({ min_dice_gain: 0, require_ci_above_zero: false, max_drop: 0, guarded: [] })).toBe("Dice gain of at least ±0.0000");
});

test("only a 409 for a failed or missing gate asks for a reason", () => {
  expect(needsOverrideReason(new ApiError(409, "gate failed", "gate_failed"))).toBe(true);
  expect(needsOverrideReason(new ApiError(409, "never gated", "no_gate"))).toBe(true);
  expect(needsOverrideReason(new ApiError(409, "conflict", "conflict"))).toBe(false);
  expect(needsOverrideReason(new ApiError(400, "bad", "gate_failed"))).toBe(false);
  expect(needsOverrideReason(new Error("x"))).toBe(false);
});

test("a version shows its model card, else its gate's holdout numbers, else its training metrics", () => {
  const card = { dataset: "Kvasir-SEG", split: "test", dice: 0.88, iou: 0.81, se: 0.9, sp: 0.99, images: 100 };
  expect(versionScores({ card, gate: { passed: true, report: report() }, metrics: { dice: 0.5 } })).toEqual({ source: "Kvasir-SEG test, 100 images", dice: 0.88, iou: 0.81, se: 0.9, sp: 0.99 });
  expect(versionScores({ card: null, gate: { passed: false, report: report() }, metrics: {} })).toEqual({
    source: "holdout, 120 images / 6 patients",
    dice: 0.8412,
    iou: 0.7601,
    se: 0.9,
    sp: null,
  });
  expect(versionScores({ card: null, gate: null, metrics: { dice: 0.8815, hd95: 4 } })).toEqual({ source: "training metrics", dice: 0.8815, iou: null, se: null, sp: null });
  expect(versionScores({ card: null, gate: null, metrics: { loss: 0.2 } })).toBeNull();
});

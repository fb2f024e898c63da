// The promotion gate's report as rows to show, and what a version's scores are on the models table.
import { ApiError } from "../../api/http";
import type { GateMetricKey, GateReport, ModelVersion } from "../../api/types";

export const GATE_METRICS: readonly { key: GateMetricKey; label: string }[] = [
  { key: "dice", label: "Dice" },
  { key: "iou", label: "IoU" },
  { key: "se", label: "Sensitivity" },
  { key: "sp", label: "Specificity" },
  { key: "event_sensitivity", label: "Event sensitivity" },
  { key: "base_test_dice", label: "Dice on the base test split" },
];

/** A score 0..1 to four places; "–" when not measured. */
export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(4);
}

/** A signed difference to four places with a real minus sign; "–" when either side is missing. */
export function formatDiff(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const text = Math.abs(value).toFixed(4);
  if (Number(text) === 0) return `±${text}`;
  return value > 0 ? `+${text}` : `\u2212${text}`;
}

/** "+0.0123 (95% CI +0.0040 to +0.0206)" */
export function formatInterval(diff: { mean: number; lo: number; hi: number }): string {
  return `${formatDiff(diff.mean)} (95% CI ${formatDiff(diff.lo)} to ${formatDiff(diff.hi)})`;
}

export type Trend = "up" | "down" | "same" | null;

export interface GateRow {
  key: GateMetricKey;
  label: string;
  candidate: string;
  active: string;
  diff: string;
  trend: Trend;
  /** The rule guards this metric against a drop larger than rule.max_drop. */
  guarded: boolean;
}

/** One row per metric either side measured: candidate vs active and the difference. */
export function gateRows(report: GateReport): GateRow[] {
  const rows: GateRow[] = [];
  for (const { key, label } of GATE_METRICS) {
    const candidate = report.candidate[key];
    const active = report.active[key];
    if (candidate === null && active === null) continue;
    const diff = candidate !== null && active !== null ? candidate - active : null;
    rows.push({
      key,
      label,
      candidate: formatScore(candidate),
      active: formatScore(active),
      diff: formatDiff(diff),
      trend: diff === null ? null : Math.abs(diff) < 5e-5 ? "same" : diff > 0 ? "up" : "down",
      guarded: report.rule.guarded.includes(key),
    });
  }
  return rows;
}

/** The names of the checks that failed, in report order. */
export function failedChecks(report: GateReport): string[] {
  return report.checks.filter((check) => !check.passed).map((check) => check.name);
}

/** The rule in words, for the report's heading. */
export function describeRule(rule: GateReport["rule"]): string {
  const parts = [`Dice gain of at least ${formatDiff(rule.min_dice_gain)}`];
  if (rule.require_ci_above_zero) parts.push("its 95% interval above zero");
  if (rule.guarded.length > 0) parts.push(`no drop over ${rule.max_drop.toFixed(4)} in ${rule.guarded.map(metricName).join(", ")}`);
  return parts.join("; ");
}

function metricName(key: string): string {
  return GATE_METRICS.find((m) => m.key === key)?.label ?? key;
}

/** A promotion refused for want of a written reason (gate failed, or never gated): ask for one. */
export function needsOverrideReason(error: unknown): boolean {
  return error instanceof ApiError && error.status === 409 && (error.code === "gate_failed" || error.code === "no_gate");
}

export interface VersionScores {
  /** Where the numbers come from, shown beside them. */
  source: string;
  dice: number | null;
  iou: number | null;
  se: number | null;
  sp: number | null;
}

/**
 * The Dice/IoU/SE/SP to show for a version: its model card's test numbers (the shipped model), else its
 * gate's holdout numbers (a fine-tuned candidate), else the numbers its training recorded, else none.
 */
export function versionScores(model: Pick<ModelVersion, "card" | "gate" | "metrics">): VersionScores | null {
  if (model.card) {
    const { card } = model;
    return { source: `${card.dataset} ${card.split}, ${card.images} images`, dice: card.dice, iou: card.iou, se: card.se, sp: card.sp };
  }
  if (model.gate) {
    const { candidate, holdout } = model.gate.report;
    return {
      source: `holdout, ${holdout.images} images / ${holdout.patients} patients`,
      dice: candidate.dice,
      iou: candidate.iou,
      se: candidate.se,
      sp: candidate.sp,
    };
  }
  const metric = (key: string): number | null => {
    const value = model.metrics?.[key];
    return typeof value === "number" ? value : null;
  };
  const fromMetrics = { dice: metric("dice"), iou: metric("iou"), se: metric("se"), sp: metric("sp") };
  if (Object.values(fromMetrics).some((v) => v !== null)) return { source: "training metrics", ...fromMetrics };
  return null;
}

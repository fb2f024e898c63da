// The models table shows whatever metrics the versions carry: columns are the union of their keys.
import type { JsonValue, ModelVersion } from "../../api/types";

/** Metric names across all versions, well-known ones first in a fixed order, the rest alphabetically. */
export function metricColumns(models: readonly Pick<ModelVersion, "metrics">[]): string[] {
  const preferred = ["dice", "iou", "precision", "recall", "f1", "accuracy", "auc", "loss"];
  const keys = new Set<string>();
  for (const model of models) for (const key of Object.keys(model.metrics ?? {})) keys.add(key);
  const rank = (key: string) => {
    const i = preferred.indexOf(key.toLowerCase());
    return i < 0 ? preferred.length : i;
  };
  return [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A metric cell: fractions to 3-4 significant places, big numbers grouped, objects as compact JSON. */
export function formatMetric(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return "–";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return value.toLocaleString("en-US");
    return Math.abs(value) < 10 ? value.toFixed(Math.abs(value) < 1 ? 4 : 3) : value.toFixed(1);
  }
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "yes" : "no";
  return JSON.stringify(value);
}

/** "dice" -> "Dice", "val_iou" -> "Val IoU": headers readable without a lookup table per key. */
export function metricLabel(key: string): string {
  const acronyms: Record<string, string> = { iou: "IoU", auc: "AUC", f1: "F1", fps: "FPS", hd95: "HD95", map: "mAP" };
  return key
    .split(/[_\s]+/)
    .filter(Boolean)
    .map((word) => acronyms[word.toLowerCase()] ?? word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ");
}

import { expect, test } from "vitest";
import type { ModelVersion } from "../../api/types";
import { formatMetric, metricColumns, metricLabel } from "./metrics";

test("columns are the union of metric keys, Dice and IoU first", () => {
  const models: Pick<ModelVersion, "metrics">[] = [{ metrics: { recall: 0.9, iou: 0.8 } }, { metrics: { dice: 0.88, hd95: 4.2, ms_per_frame: 11 } }, { metrics: {} }];
  expect(metricColumns(models)).toEqual(["dice", "iou", "recall", "hd95", "ms_per_frame"]);
});

test("metric values read well whatever their type", () => {
  expect(formatMetric(0.87654)).toBe("0.8765");
  expect(formatMetric(4.21234)).toBe("4.212");
  expect(formatMetric(1234.567)).toBe("1234.6");
  expect(formatMetric(18000)).toBe("18,000");
  expect(formatMetric(undefined)).toBe("–");
  expect(formatMetric(null)).toBe("–");
  expect(formatMetric("n/a")).toBe("n/a");
  expect(formatMetric({ a: 1 })).toBe('{"a":1}');
});

test("headers are readable", () => {
  expect(metricLabel("dice")).toBe("Dice");
  expect(metricLabel("val_iou")).toBe("Val IoU");
  expect(metricLabel("ms_per_frame")).toBe("Ms Per Frame");
});

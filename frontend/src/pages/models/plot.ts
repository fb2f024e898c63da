// Hand-written SVG plotting for the training pages: axis ranges, ticks, scales and the path of a series.
// Pure: numbers in, numbers and path strings out (no DOM), so the curves are unit-tested.

export interface Point {
  x: number;
  /** null: not measured at this x (a gap in the line). */
  y: number | null;
}

export type Scale = (value: number) => number;

/** Maps domain [d0, d1] linearly onto range [r0, r1]; a zero-width domain maps to the middle of the range. */
export function linearScale([d0, d1]: readonly [number, number], [r0, r1]: readonly [number, number]): Scale {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * k;
}

/** A step of 1, 2 or 5 times a power of ten, near span/count: the usual readable tick spacing. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || count < 1) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

export interface RangeOptions {
  /** Stretch the range to include 0 (losses). */
  includeZero?: boolean;
  /** Hard limits the range never goes past (Dice: 0 and 1). */
  floor?: number;
  ceiling?: number;
  /** The range when there are no values. */
  fallback?: [number, number];
}

/**
 * The y range for some values (nulls and non-finite ones ignored), widened outward to whole tick steps
 * (readable axis ends), then clipped to floor/ceiling. A single value gets a range around it.
 */
export function axisRange(values: readonly (number | null)[], options: RangeOptions = {}): [number, number] {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length === 0) return options.fallback ?? [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (options.includeZero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (hi === lo) {
    const pad = hi === 0 ? 1 : Math.abs(hi) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, 4);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  if (options.floor !== undefined) lo = Math.max(lo, options.floor);
  if (options.ceiling !== undefined) hi = Math.min(hi, options.ceiling);
  return [round(lo), round(hi)];
}

/** Tick values from lo to hi at a nice step (both ends included when they fall on the step). */
export function ticks([lo, hi]: readonly [number, number], count = 4): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep(hi - lo, count);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(round(v));
  return out;
}

/** Integer ticks for epochs 1..n, thinned to at most `max` labels. */
export function epochTicks(epochs: number, max = 10): number[] {
  if (epochs < 1) return [];
  const step = Math.max(1, Math.ceil(epochs / max));
  const out: number[] = [];
  for (let e = 1; e <= epochs; e += step) out.push(e);
  if (out[out.length - 1] !== epochs) out.push(epochs);
  return out;
}

/**
 * The SVG path ("M x y L x y ...") of a series: points with a null (or non-finite) y are skipped, and
 * the line is broken there, so a gap reads as "not measured" rather than a straight line across it.
 */
export function seriesPath(points: readonly Point[], x: Scale, y: Scale): string {
  const parts: string[] = [];
  let pen = false;
  for (const point of points) {
    if (point.y === null || !Number.isFinite(point.y)) {
      pen = false;
      continue;
    }
    parts.push(`${pen ? "L" : "M"}${fmt(x(point.x))} ${fmt(y(point.y))}`);
    pen = true;
  }
  return parts.join(" ");
}

/** The measured points only, at their screen positions (dots: a single epoch has no line). */
export function seriesDots(points: readonly Point[], x: Scale, y: Scale): { cx: number; cy: number }[] {
  return points
    .filter((p): p is { x: number; y: number } => p.y !== null && Number.isFinite(p.y))
    .map((p) => ({ cx: round(x(p.x)), cy: round(y(p.y)) }));
}

/** The plot area inside a frame of width x height with margins for the axes. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function innerBox(frame: Frame): { x0: number; x1: number; y0: number; y1: number } {
  return { x0: frame.left, x1: frame.width - frame.right, y0: frame.top, y1: frame.height - frame.bottom };
}

/** Loss and holdout Dice per epoch, from the run's history (one entry per finished epoch). */
export function epochSeries(history: readonly { epoch: number; loss: number | null; holdout_dice: number | null }[]): { loss: Point[]; dice: Point[] } {
  const sorted = [...history].sort((a, b) => a.epoch - b.epoch);
  return {
    loss: sorted.map((h) => ({ x: h.epoch, y: h.loss })),
    dice: sorted.map((h) => ({ x: h.epoch, y: h.holdout_dice })),
  };
}

export interface PatientRow {
  patient: string;
  frames: number;
  active: number;
  candidate: number;
  /** candidate - active */
  change: number;
}

/** The per-patient plot's rows: one per holdout patient, the largest drop first (what a reviewer checks). */
export function patientRows(perPatient: readonly { patient: string; frames: number; candidate_dice: number; active_dice: number }[]): PatientRow[] {
  return perPatient
    .map((p) => ({ patient: p.patient, frames: p.frames, active: p.active_dice, candidate: p.candidate_dice, change: p.candidate_dice - p.active_dice }))
    .sort((a, b) => a.change - b.change || a.patient.localeCompare(b.patient));
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6 + 0; // + 0 turns -0 into 0
}

function fmt(value: number): string {
  return String(Math.round(value * 100) / 100);
}

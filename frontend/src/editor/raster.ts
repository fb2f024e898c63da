/**
 * Raster operations on a binary Mask (row-major, one byte per pixel, 0 or 1), in image pixels.
 *
 * Coverage rule: pixel (i, j) is its centre (i + 0.5, j + 0.5); a shape covers the pixel when it
 * covers the centre. Every operation
 *   1. works out the exact rows and column spans it will write (clipped to the image),
 *   2. calls `beforeWrite(rect)` with their bounding rectangle, so the undo recorder can save the
 *      old bytes first (see patch.ts),
 *   3. writes `value` (1 = paint, 0 = erase) and returns that rectangle (the dirty rect), or null
 *      when nothing of the shape falls inside the image.
 * Spans are filled with TypedArray.fill, so cost is per row, not per pixel test.
 */
import type { ImagePoint } from "../geometry/points";
import type { Rect } from "../geometry/rect";
import type { Mask } from "../mask/rle";

export type MaskValue = 0 | 1;
export type BeforeWrite = (rect: Rect) => void;

/**
 * How a self-intersecting polygon is filled. "nonzero" (the default) fills every region the outline
 * winds around, so an annotator's accidental loop still fills; "evenodd" leaves holes where the
 * outline crosses itself an even number of times (as SVG/canvas fill-rule evenodd).
 */
export type FillRule = "nonzero" | "evenodd";

/** Column spans per row: row y0 + k covers columns lo[k] .. hi[k] (inclusive); lo > hi = none. */
interface Spans {
  y0: number;
  lo: Int32Array;
  hi: Int32Array;
}

/** Writes spans after announcing their bounding rect; returns it (null if every span is empty). */
function writeSpans(
  mask: Mask,
  width: number,
  spans: Spans,
  value: MaskValue,
  beforeWrite?: BeforeWrite,
): Rect | null {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = -1;
  let y1 = -1;
  for (let k = 0; k < spans.lo.length; k++) {
    const lo = spans.lo[k] as number;
    const hi = spans.hi[k] as number;
    if (lo > hi) continue;
    if (y0 < 0) y0 = spans.y0 + k;
    y1 = spans.y0 + k + 1;
    if (lo < x0) x0 = lo;
    if (hi + 1 > x1) x1 = hi + 1;
  }
  if (y0 < 0) return null;
  const dirty: Rect = { x0, y0, x1, y1 };
  beforeWrite?.(dirty);
  for (let k = 0; k < spans.lo.length; k++) {
    const lo = spans.lo[k] as number;
    const hi = spans.hi[k] as number;
    if (lo > hi) continue;
    const row = (spans.y0 + k) * width;
    mask.fill(value, row + lo, row + hi + 1);
  }
  return dirty;
}

/** Rows whose centres lie in [minY, maxY], clipped to the image: [first, last] or null. */
function rowRange(minY: number, maxY: number, height: number): [number, number] | null {
  const first = Math.max(0, Math.ceil(minY - 0.5));
  const last = Math.min(height - 1, Math.floor(maxY - 0.5));
  return first <= last ? [first, last] : null;
}

/** Stores the pixels whose centres lie in [lo, hi] (real x) into span k, clipped to the image;
 * widens an existing span (all the pieces of a convex shape's row overlap or touch). */
function addSpan(spans: Spans, k: number, lo: number, hi: number, width: number): void {
  const a = Math.max(0, Math.ceil(lo - 0.5));
  const b = Math.min(width - 1, Math.floor(hi - 0.5));
  if (a > b) return;
  const curLo = spans.lo[k] as number;
  const curHi = spans.hi[k] as number;
  if (curLo > curHi) {
    spans.lo[k] = a;
    spans.hi[k] = b;
  } else {
    if (a < curLo) spans.lo[k] = a;
    if (b > curHi) spans.hi[k] = b;
  }
}

function emptySpans(first: number, last: number): Spans {
  const n = last - first + 1;
  const lo = new Int32Array(n).fill(1);
  const hi = new Int32Array(n).fill(0);
  return { y0: first, lo, hi };
}

/** A round brush of radius `radius` image px centred on `center`. */
export function stampDisc(
  mask: Mask,
  width: number,
  height: number,
  center: ImagePoint,
  radius: number,
  value: MaskValue,
  beforeWrite?: BeforeWrite,
): Rect | null {
  return stampSegment(mask, width, height, center, center, radius, value, beforeWrite);
}

/**
 * A capsule: every pixel within `radius` of the segment a-b (two discs joined by a rectangle), so
 * a fast pointer that jumps 100 px between events still leaves a continuous stroke.
 */
export function stampSegment(
  mask: Mask,
  width: number,
  height: number,
  a: ImagePoint,
  b: ImagePoint,
  radius: number,
  value: MaskValue,
  beforeWrite?: BeforeWrite,
): Rect | null {
  if (!(radius > 0)) return null;
  const rows = rowRange(Math.min(a.y, b.y) - radius, Math.max(a.y, b.y) + radius, height);
  if (rows === null || width <= 0) return null;
  const [first, last] = rows;
  const spans = emptySpans(first, last);
  const r2 = radius * radius;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy);
  // The body rectangle's corners: the segment offset by +-radius along its unit normal.
  const nx = len > 0 ? (-dy / len) * radius : 0;
  const ny = len > 0 ? (dx / len) * radius : 0;
  const quad = [a.x + nx, a.y + ny, b.x + nx, b.y + ny, b.x - nx, b.y - ny, a.x - nx, a.y - ny];
  for (let y = first; y <= last; y++) {
    const k = y - first;
    const cy = y + 0.5;
    // The capsule is convex, so its section with this row is one interval: the union of the
    // sections of disc a, disc b and the body rectangle.
    for (const c of [a, b]) {
      const d2 = r2 - (cy - c.y) * (cy - c.y);
      if (d2 >= 0) {
        const h = Math.sqrt(d2);
        addSpan(spans, k, c.x - h, c.x + h, width);
      }
    }
    if (len > 0) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let e = 0; e < 4; e++) {
        const px = quad[2 * e] as number;
        const py = quad[2 * e + 1] as number;
        const qx = quad[(2 * e + 2) % 8] as number;
        const qy = quad[(2 * e + 3) % 8] as number;
        if ((py <= cy && cy <= qy) || (qy <= cy && cy <= py)) {
          if (py === qy) {
            lo = Math.min(lo, px, qx);
            hi = Math.max(hi, px, qx);
          } else {
            const x = px + ((cy - py) / (qy - py)) * (qx - px);
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
          }
        }
      }
      if (lo <= hi) addSpan(spans, k, lo, hi, width);
    }
  }
  return writeSpans(mask, width, spans, value, beforeWrite);
}

/**
 * Fills a closed polygon (the last vertex joins the first) by scanlines through pixel centres.
 * Edges are half-open in y (a vertex on the scanline counts for one edge only), so shared
 * vertices neither double-count nor leave gaps. Fewer than 3 vertices fill nothing.
 */
export function fillPolygon(
  mask: Mask,
  width: number,
  height: number,
  vertices: readonly ImagePoint[],
  value: MaskValue,
  rule: FillRule = "nonzero",
  beforeWrite?: BeforeWrite,
): Rect | null {
  const n = vertices.length;
  if (n < 3 || width <= 0) return null;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const v of vertices) {
    minY = Math.min(minY, v.y);
    maxY = Math.max(maxY, v.y);
  }
  const rows = rowRange(minY, maxY, height);
  if (rows === null) return null;
  const [first, last] = rows;
  // A concave polygon can cross a row several times: collect runs per row, then write them.
  const runs: number[][] = [];
  let bx0 = Infinity;
  let bx1 = -Infinity;
  let by0 = -1;
  let by1 = -1;
  const xs: number[] = [];
  const dirs: number[] = [];
  for (let y = first; y <= last; y++) {
    const cy = y + 0.5;
    xs.length = 0;
    dirs.length = 0;
    for (let i = 0; i < n; i++) {
      const p = vertices[i] as ImagePoint;
      const q = vertices[(i + 1) % n] as ImagePoint;
      const up = p.y <= cy && cy < q.y;
      const down = q.y <= cy && cy < p.y;
      if (!up && !down) continue;
      xs.push(p.x + ((cy - p.y) / (q.y - p.y)) * (q.x - p.x));
      dirs.push(up ? 1 : -1);
    }
    const order = xs.map((_, i) => i).sort((i, j) => (xs[i] as number) - (xs[j] as number));
    const rowRuns: number[] = []; // pairs lo, hi (inclusive columns)
    let winding = 0;
    let enter = 0;
    for (let t = 0; t < order.length; t++) {
      const idx = order[t] as number;
      const x = xs[idx] as number;
      const before = winding;
      winding = rule === "evenodd" ? winding ^ 1 : winding + (dirs[idx] as number);
      if (before === 0 && winding !== 0) {
        enter = x;
      } else if (before !== 0 && winding === 0) {
        // Inside is [enter, x): pixel centres c with enter <= c < x.
        const lo = Math.max(0, Math.ceil(enter - 0.5));
        const hi = Math.min(width - 1, Math.ceil(x - 0.5) - 1);
        if (lo <= hi) {
          rowRuns.push(lo, hi);
          bx0 = Math.min(bx0, lo);
          bx1 = Math.max(bx1, hi + 1);
          if (by0 < 0) by0 = y;
          by1 = y + 1;
        }
      }
    }
    runs.push(rowRuns);
  }
  if (by0 < 0) return null;
  const dirty: Rect = { x0: bx0, y0: by0, x1: bx1, y1: by1 };
  beforeWrite?.(dirty);
  for (let k = 0; k < runs.length; k++) {
    const rowRuns = runs[k] as number[];
    const row = (first + k) * width;
    for (let t = 0; t + 1 < rowRuns.length; t += 2) {
      mask.fill(value, row + (rowRuns[t] as number), row + (rowRuns[t + 1] as number) + 1);
    }
  }
  return dirty;
}

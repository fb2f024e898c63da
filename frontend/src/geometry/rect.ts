/**
 * Integer pixel rectangles, half-open: columns x0 .. x1 - 1 and rows y0 .. y1 - 1, in image pixels.
 * Used for dirty regions (what a brush stamp touched) and undo patches.
 */

export interface Rect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export function rect(x0: number, y0: number, x1: number, y1: number): Rect {
  return { x0, y0, x1, y1 };
}

export function rectWidth(r: Rect): number {
  return r.x1 - r.x0;
}

export function rectHeight(r: Rect): number {
  return r.y1 - r.y0;
}

export function isEmptyRect(r: Rect): boolean {
  return r.x1 <= r.x0 || r.y1 <= r.y0;
}

/** Smallest rectangle holding both; null stands for "nothing", so unions can start from null. */
export function unionRect(a: Rect | null, b: Rect | null): Rect | null {
  if (a === null || isEmptyRect(a)) return b === null || isEmptyRect(b) ? null : b;
  if (b === null || isEmptyRect(b)) return a;
  return {
    x0: Math.min(a.x0, b.x0),
    y0: Math.min(a.y0, b.y0),
    x1: Math.max(a.x1, b.x1),
    y1: Math.max(a.y1, b.y1),
  };
}

/** Overlap of two rectangles, or null when they do not overlap. */
export function intersectRect(a: Rect, b: Rect): Rect | null {
  const r = {
    x0: Math.max(a.x0, b.x0),
    y0: Math.max(a.y0, b.y0),
    x1: Math.min(a.x1, b.x1),
    y1: Math.min(a.y1, b.y1),
  };
  return isEmptyRect(r) ? null : r;
}

/** The pixels of a real-valued box [minX, maxX] x [minY, maxY] (pixel centres inside it, rounded
 * outwards by one pixel to be safe), clipped to a width x height image; null when outside. */
export function pixelBounds(
  minX: number,
  minY: number,
  maxX: number,
  maxY: number,
  width: number,
  height: number,
): Rect | null {
  return intersectRect(
    { x0: Math.floor(minX), y0: Math.floor(minY), x1: Math.ceil(maxX) + 1, y1: Math.ceil(maxY) + 1 },
    { x0: 0, y0: 0, x1: width, y1: height },
  );
}

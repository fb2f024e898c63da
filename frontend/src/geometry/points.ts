/**
 * Branded point types, so image coordinates and screen coordinates cannot be mixed up by accident
 * (the classic zoom bug: painting at the mouse position without mapping it into the image).
 *
 * - ImagePoint: image pixels, origin at the image's top-left corner, x right, y down. The pixel
 *   (i, j) covers [i, i + 1) x [j, j + 1), so its centre is (i + 0.5, j + 0.5). Not rounded.
 * - ScreenPoint: CSS pixels relative to the editor viewport's top-left corner (what
 *   `event.clientX - viewportRect.left` gives), before the device pixel ratio.
 */

declare const imageBrand: unique symbol;
declare const screenBrand: unique symbol;

export interface ImagePoint {
  readonly x: number;
  readonly y: number;
  readonly [imageBrand]: true;
}

export interface ScreenPoint {
  readonly x: number;
  readonly y: number;
  readonly [screenBrand]: true;
}

export function imagePoint(x: number, y: number): ImagePoint {
  return { x, y } as ImagePoint;
}

export function screenPoint(x: number, y: number): ScreenPoint {
  return { x, y } as ScreenPoint;
}

/** Euclidean distance between two points of the same space. */
export function distance<P extends ImagePoint | ScreenPoint>(a: P, b: P): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

export function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}

/** Keeps a point inside the image's area [0, width] x [0, height] (edges included: a brush centred
 * exactly on the border still paints the half-disc inside). */
export function clampToImage(p: ImagePoint, width: number, height: number): ImagePoint {
  return imagePoint(clamp(p.x, 0, width), clamp(p.y, 0, height));
}

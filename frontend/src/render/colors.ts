/**
 * Overlay colours and their packing into 32-bit pixels, so a mask row is written into ImageData as
 * one Uint32 per pixel instead of four byte writes.
 *
 * Colonoscopy frames are dominated by reds and pinks (mucosa), so the overlays use colours far from
 * them on the hue wheel: cyan for the mask being edited, amber for the model's prediction.
 */

export interface Rgba {
  readonly r: number;
  readonly g: number;
  readonly b: number;
  /** 0..255 */
  readonly a: number;
}

/** The edited mask, drawn opaque; its layer's CSS opacity is the user's opacity slider. */
export const EDIT_COLOR: Rgba = { r: 0, g: 220, b: 255, a: 255 };
/** The prediction's inside: faint (alpha 64 of 255 = 25 %), so the frame and the edit show through. */
export const PREDICTION_FILL: Rgba = { r: 255, g: 190, b: 0, a: 64 };
/** The prediction's outline: opaque, the part the eye compares against the edit. */
export const PREDICTION_EDGE: Rgba = { r: 255, g: 190, b: 0, a: 255 };

/** Typed arrays use the platform's byte order; ImageData bytes are R, G, B, A in memory. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The Uint32 whose bytes in memory are r, g, b, a (what a Uint32Array view of ImageData wants). */
export function packRgba(c: Rgba): number {
  return LITTLE_ENDIAN
    ? ((c.a << 24) | (c.b << 16) | (c.g << 8) | c.r) >>> 0
    : ((c.r << 24) | (c.g << 16) | (c.b << 8) | c.a) >>> 0;
}

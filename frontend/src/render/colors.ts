/**
 * Overlay colours and their packing into 32-bit pixels, so a mask row is written into ImageData as
 * one Uint32 per pixel instead of four byte writes.
 *
 * Colonoscopy frames are dominated by reds and pinks (mucosa), so the overlays use colours far from
 * them on the hue wheel: cyan for the mask being edited, amber for the model's prediction.
 *
 * The review page shows more colours at once: the verdicts (green, red, amber bands and badges) and the
 * heat strip's inferno map (black, purple, red, orange, pale yellow). Its mask overlay is an azure blue,
 * at least 45 degrees of hue from every one of them (colors.test.ts checks it), and blue stays apart from
 * red, green and amber for red-green colour-blind readers too.
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

/** The model's mask over the review player (filled or outlined); its canvas's CSS opacity is the slider. */
export const REVIEW_MASK: Rgba = { r: 64, g: 150, b: 255, a: 255 };

/** Verdict colours, the same as the CSS variables --ok, --bad, --warn (badges) and the timeline's bands. */
export const VERDICT_COLORS = {
  confirmed: "#3ecf8e",
  false_positive: "#ff6b6b",
  uncertain: "#f5b942",
} as const;

/** "#rrggbb" -> Rgba (opaque). */
export function hexToRgba(hex: string): Rgba {
  const n = Number.parseInt(hex.slice(1), 16);
  return { r: (n >> 16) & 255, g: (n >> 8) & 255, b: n & 255, a: 255 };
}

/** Hue in degrees [0, 360) of an RGB colour (NaN for a grey, which has none). */
export function hueOf(c: { r: number; g: number; b: number }): number {
  const max = Math.max(c.r, c.g, c.b);
  const min = Math.min(c.r, c.g, c.b);
  const d = max - min;
  if (d === 0) return Number.NaN;
  const h = max === c.r ? ((c.g - c.b) / d) % 6 : max === c.g ? (c.b - c.r) / d + 2 : (c.r - c.g) / d + 4;
  return (h * 60 + 360) % 360;
}

/** Distance of two hues on the colour wheel, 0..180 degrees. */
export function hueDistance(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
}

/** Typed arrays use the platform's byte order; ImageData bytes are R, G, B, A in memory. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The Uint32 whose bytes in memory are r, g, b, a (what a Uint32Array view of ImageData wants). */
export function packRgba(c: Rgba): number {
  return LITTLE_ENDIAN
    ? ((c.a << 24) | (c.b << 16) | (c.g << 8) | c.r) >>> 0
    : ((c.r << 24) | (c.g << 16) | (c.b << 8) | c.a) >>> 0;
}

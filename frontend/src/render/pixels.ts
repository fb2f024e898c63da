/**
 * Mask -> RGBA pixels, pure (no DOM), so the renderer's output is unit-tested. `out` is a Uint32Array
 * view of an ImageData's bytes (see colors.ts for the packing).
 */
import type { Rect } from "../geometry/rect";
import type { Mask } from "../mask/rle";

/** Writes the rect's pixels into the top-left of `out` (rows `outStride` pixels apart, default the
 * rect's width): `color` where the mask is set, transparent elsewhere. */
export function maskRectToPixels(
  mask: Mask,
  maskWidth: number,
  rect: Rect,
  color: number,
  out: Uint32Array,
  outStride: number = rect.x1 - rect.x0,
): void {
  const w = rect.x1 - rect.x0;
  for (let y = rect.y0, row = 0; y < rect.y1; y++, row += outStride) {
    let i = y * maskWidth + rect.x0;
    for (let x = 0, o = row; x < w; x++, i++, o++) out[o] = mask[i] !== 0 ? color : 0;
  }
}

/** 2 image px: at fit-to-window zoom (about 0.5 for 1080p in a laptop viewport) a 1 px outline
 * falls between screen pixels and flickers away; 2 px stays visible. */
export const OUTLINE_WIDTH_PX = 2;

/**
 * The prediction as a faint fill with an opaque inner outline: a set pixel is on the outline when a
 * pixel within OUTLINE_WIDTH_PX along a row or column is unset or outside the image.
 * `out` is width * height.
 */
export function predictionPixels(
  mask: Mask,
  width: number,
  height: number,
  fill: number,
  edge: number,
  out: Uint32Array,
  outlineWidth: number = OUTLINE_WIDTH_PX,
): void {
  const at = (x: number, y: number): boolean =>
    x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x] !== 0;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      if (mask[i] === 0) {
        out[i] = 0;
        continue;
      }
      let onEdge = false;
      for (let d = 1; d <= outlineWidth && !onEdge; d++) {
        onEdge = !at(x - d, y) || !at(x + d, y) || !at(x, y - d) || !at(x, y + d);
      }
      out[i] = onEdge ? edge : fill;
    }
  }
}

/** How the review player draws the model's mask: filled, or only its outline (the mucosa stays visible). */
export type OverlayMode = "fill" | "outline";

/**
 * The review player's outline, in video pixels: 3, since the player shows a frame at about its own size
 * (574 x 500 CVC-ColonDB frames at 600-700 CSS px on a laptop), where the editor's 2 px read as a hairline
 * over a bright polyp (seen in the e2e screenshots).
 */
export const REVIEW_OUTLINE_PX = 3;

/** A whole mask (width x height) as overlay pixels in `out`: the colour over the mask, or on its outline only. */
export function overlayPixels(mask: Mask, width: number, height: number, mode: OverlayMode, color: number, out: Uint32Array): void {
  if (mode === "fill") maskRectToPixels(mask, width, { x0: 0, y0: 0, x1: width, y1: height }, color, out);
  else predictionPixels(mask, width, height, 0, color, out, REVIEW_OUTLINE_PX);
}

// The model's mask drawn as an outline over a report thumbnail, so the mucosa under it stays visible on paper.
// Pure: a mask in, the outline's pixels out (the page paints them on a canvas over the frame).

/**
 * The outline of a binary mask (row-major, `width` x `height`, non-zero = polyp): every mask pixel within
 * `thickness` pixels (Chebyshev distance) of a pixel outside the mask or of the image's edge. Returns 1 for
 * outline pixels, 0 elsewhere.
 */
export function maskOutline(mask: ArrayLike<number>, width: number, height: number, thickness = 1): Uint8Array {
  const out = new Uint8Array(width * height);
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x] !== 0;
  // Boundary pixels first (a 4-neighbour outside the mask), then grown inward up to `thickness`.
  const edge: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!inside(x, y)) continue;
      if (!inside(x - 1, y) || !inside(x + 1, y) || !inside(x, y - 1) || !inside(x, y + 1)) edge.push(y * width + x);
    }
  }
  const r = Math.max(0, thickness - 1);
  for (const i of edge) {
    const x0 = i % width;
    const y0 = (i - x0) / width;
    for (let y = Math.max(0, y0 - r); y <= Math.min(height - 1, y0 + r); y++) {
      for (let x = Math.max(0, x0 - r); x <= Math.min(width - 1, x0 + r); x++) {
        if (inside(x, y)) out[y * width + x] = 1;
      }
    }
  }
  return out;
}

/** How thick to draw the outline at the mask's resolution so that it shows about `screenPx` wide at `shownWidth`. */
export function outlineThickness(maskWidth: number, shownWidth: number, screenPx = 2): number {
  return Math.max(1, Math.round((screenPx * maskWidth) / Math.max(1, shownWidth)));
}

// Score -> colour for the heat strip. A 256-entry lookup table keeps the per-column work to one index.

export type Rgb = readonly [number, number, number];

/**
 * Stops of matplotlib's "inferno" at 0, .25, .5, .75, 1 (sampled from its published table): perceptually
 * uniform and readable on a dark background, dark for "nothing here", bright for "polyp".
 */
const INFERNO: readonly Rgb[] = [
  [0, 0, 4],
  [87, 16, 110],
  [188, 55, 84],
  [249, 142, 9],
  [252, 255, 164],
];

/** Colour of a score in [0, 1] (values outside are clamped), linearly between the stops. */
export function heatColor(score: number, stops: readonly Rgb[] = INFERNO): Rgb {
  const s = Math.min(1, Math.max(0, Number.isFinite(score) ? score : 0));
  const position = s * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(position));
  const t = position - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * t), Math.round(a[1] + (b[1] - a[1]) * t), Math.round(a[2] + (b[2] - a[2]) * t)];
}

/** RGB triplets for scores 0/255 .. 255/255. */
export function heatLut(stops: readonly Rgb[] = INFERNO): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(heatColor(i / 255, stops), i * 3);
  return lut;
}

/**
 * RGBA pixels (row-major, width = binned.length) of a strip `height` rows tall: each column the colour
 * of its score, NO_DATA columns (< 0) in `noData`. The result goes straight into an ImageData.
 */
export function paintHeatStrip(binned: Float32Array, height: number, lut: Uint8ClampedArray, noData: Rgb): Uint8ClampedArray<ArrayBuffer> {
  const width = binned.length;
  const pixels = new Uint8ClampedArray(width * height * 4);
  const row = new Uint8ClampedArray(width * 4);
  for (let x = 0; x < width; x++) {
    const value = binned[x]!;
    const o = x * 4;
    if (value < 0) {
      row[o] = noData[0];
      row[o + 1] = noData[1];
      row[o + 2] = noData[2];
    } else {
      const l = Math.min(255, Math.max(0, Math.round(value * 255))) * 3;
      row[o] = lut[l]!;
      row[o + 1] = lut[l + 1]!;
      row[o + 2] = lut[l + 2]!;
    }
    row[o + 3] = 255;
  }
  for (let y = 0; y < height; y++) pixels.set(row, y * width * 4);
  return pixels;
}

// Painting a decoded 0/1 mask into RGBA pixels for the player's overlay canvas.

/** Overlay colour: a green that stands out against the pinks and reds of colon mucosa. */
export const MASK_RGB: readonly [number, number, number] = [0, 255, 140];

/** One RGBA pixel as the Uint32 the platform stores it (little-endian: 0xAABBGGRR). */
export function packRgba(r: number, g: number, b: number, a: number, littleEndian = isLittleEndian()): number {
  return littleEndian ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}

/** Fill `out` (a Uint32Array view of an ImageData, same pixel count) with colour where mask is 1, clear elsewhere. */
export function paintMask(mask: Uint8Array, out: Uint32Array, colour: number): void {
  const n = Math.min(mask.length, out.length);
  for (let i = 0; i < n; i++) out[i] = mask[i] ? colour : 0;
}

/**
 * Undo patches: the bytes of the pixels an edit changed, before and after, never a whole-mask copy.
 *
 * The mask is cut into TILE x TILE tiles. While an edit runs, PatchRecorder copies a tile's "before"
 * bytes the first time the edit is about to write into it; when the edit ends, it copies the same
 * tiles' "after" bytes and drops the tiles that did not change. Tiles rather than one bounding rect,
 * because a diagonal stroke across a 1920 x 1080 frame has a bounding rect of the whole frame but
 * touches only a thin band of tiles.
 */
import { intersectRect, unionRect, type Rect } from "../geometry/rect";
import type { Mask } from "../mask/rle";

/** 64 px: about one brush diameter at typical sizes, so a stroke wastes little outside its band;
 * one tile is 4 KiB per side of the patch. */
export const TILE = 64;

export interface TilePatch {
  readonly rect: Rect;
  readonly before: Uint8Array;
  readonly after: Uint8Array;
}

export interface Patch {
  /** Union of the changed tiles (what to repaint after undo/redo). */
  readonly rect: Rect;
  readonly tiles: readonly TilePatch[];
  /** Bytes held (before + after), for the history's memory cap. */
  readonly bytes: number;
}

/** Copies the bytes of `r` out of a row-major buffer `width` wide. */
export function copyRect(mask: Mask, width: number, r: Rect): Uint8Array {
  const w = r.x1 - r.x0;
  const out = new Uint8Array(w * (r.y1 - r.y0));
  for (let y = r.y0, o = 0; y < r.y1; y++, o += w) {
    const start = y * width + r.x0;
    out.set(mask.subarray(start, start + w), o);
  }
  return out;
}

/** Writes `data` (laid out as copyRect gives it) back into `r`. */
export function writeRect(mask: Mask, width: number, r: Rect, data: Uint8Array): void {
  const w = r.x1 - r.x0;
  for (let y = r.y0, o = 0; y < r.y1; y++, o += w) {
    mask.set(data.subarray(o, o + w), y * width + r.x0);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function tileRect(tx: number, ty: number, width: number, height: number): Rect {
  return {
    x0: tx * TILE,
    y0: ty * TILE,
    x1: Math.min(width, (tx + 1) * TILE),
    y1: Math.min(height, (ty + 1) * TILE),
  };
}

/** Records one edit (a stroke, a polygon, a replacement) as it happens. Call touch(rect) before
 * writing into rect, finish() once the edit is over. Mutable by design: it lives inside the
 * gesture of the editor state for the duration of one pointerdown..pointerup. */
export class PatchRecorder {
  private readonly saved = new Map<number, TilePatch["before"]>();
  private readonly tilesX: number;

  constructor(
    private readonly mask: Mask,
    private readonly width: number,
    private readonly height: number,
  ) {
    this.tilesX = Math.ceil(width / TILE);
  }

  /** Saves the original bytes of every tile overlapping `r` that this edit has not touched yet. */
  touch(r: Rect): void {
    const clipped = intersectRect(r, { x0: 0, y0: 0, x1: this.width, y1: this.height });
    if (clipped === null) return;
    const tx0 = Math.floor(clipped.x0 / TILE);
    const tx1 = Math.floor((clipped.x1 - 1) / TILE);
    const ty0 = Math.floor(clipped.y0 / TILE);
    const ty1 = Math.floor((clipped.y1 - 1) / TILE);
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        const key = ty * this.tilesX + tx;
        if (!this.saved.has(key)) {
          this.saved.set(key, copyRect(this.mask, this.width, tileRect(tx, ty, this.width, this.height)));
        }
      }
    }
  }

  /** The edit as a patch, keeping only tiles whose bytes changed; null when nothing changed. */
  finish(): Patch | null {
    const tiles: TilePatch[] = [];
    let rect: Rect | null = null;
    let bytes = 0;
    for (const [key, before] of this.saved) {
      const r = tileRect(key % this.tilesX, Math.floor(key / this.tilesX), this.width, this.height);
      const after = copyRect(this.mask, this.width, r);
      if (sameBytes(before, after)) continue;
      tiles.push({ rect: r, before, after });
      rect = unionRect(rect, r);
      bytes += before.length + after.length;
    }
    this.saved.clear();
    return rect === null ? null : { rect, tiles, bytes };
  }
}

/** Writes one side of a patch into the mask (undo: "before", redo: "after"); returns the rect to
 * repaint. */
export function applyPatch(mask: Mask, width: number, patch: Patch, side: "before" | "after"): Rect {
  for (const t of patch.tiles) writeRect(mask, width, t.rect, side === "before" ? t.before : t.after);
  return patch.rect;
}

/** The patch that turns `from` into `to` (both width x height); null when they are equal. Used
 * when a whole mask replaces the current one (someone else's revision, a restored draft). */
export function diffPatch(from: Mask, to: Mask, width: number, height: number): Patch | null {
  const tiles: TilePatch[] = [];
  let rect: Rect | null = null;
  let bytes = 0;
  const tilesX = Math.ceil(width / TILE);
  const tilesY = Math.ceil(height / TILE);
  for (let ty = 0; ty < tilesY; ty++) {
    for (let tx = 0; tx < tilesX; tx++) {
      const r = tileRect(tx, ty, width, height);
      const before = copyRect(from, width, r);
      const after = copyRect(to, width, r);
      if (sameBytes(before, after)) continue;
      tiles.push({ rect: r, before, after });
      rect = unionRect(rect, r);
      bytes += before.length + after.length;
    }
  }
  return rect === null ? null : { rect, tiles, bytes };
}

// Pure geometry of the timeline strip: frames <-> pixel columns. No DOM, so Vitest covers it.
// An 18,000-frame video is drawn as one value per pixel column (the max score of the frames in it),
// never one element per frame.

/** Marks a column none of whose frames has been scored yet. */
export const NO_DATA = -1;

/** Frames [first, last) that pixel column c of `columns` covers; never empty when frameCount > 0. */
export function columnFrames(column: number, columns: number, frameCount: number): [number, number] {
  const first = Math.floor((column * frameCount) / columns);
  const last = Math.max(first + 1, Math.floor(((column + 1) * frameCount) / columns));
  return [Math.min(first, frameCount - 1), Math.min(last, frameCount)];
}

/** The column a frame falls in: the inverse of columnFrames. */
export function frameColumn(frame: number, columns: number, frameCount: number): number {
  if (frameCount <= 0) return 0;
  return Math.min(columns - 1, Math.max(0, Math.floor((frame * columns) / frameCount)));
}

/**
 * Max score per pixel column. index/score are the timeline's parallel arrays (index need not be dense
 * or sorted: while a video processes only part of it is scored). Columns without a scored frame get
 * NO_DATA. When frames are fewer than columns, a frame spans several columns and each gets its score.
 */
export function binMaxScores(index: ArrayLike<number>, score: ArrayLike<number>, frameCount: number, columns: number): Float32Array {
  const binned = new Float32Array(Math.max(0, columns)).fill(NO_DATA);
  if (columns <= 0 || frameCount <= 0) return binned;
  const n = Math.min(index.length, score.length);
  if (frameCount >= columns) {
    for (let k = 0; k < n; k++) {
      const frame = index[k]!;
      if (frame < 0 || frame >= frameCount) continue;
      const column = Math.floor((frame * columns) / frameCount);
      const value = score[k]!;
      if (value > binned[column]!) binned[column] = value;
    }
    return binned;
  }
  // Fewer frames than columns: look each column's frame up.
  const byFrame = new Float32Array(frameCount).fill(NO_DATA);
  for (let k = 0; k < n; k++) {
    const frame = index[k]!;
    if (frame >= 0 && frame < frameCount) byFrame[frame] = Math.max(byFrame[frame]!, score[k]!);
  }
  for (let column = 0; column < columns; column++) binned[column] = byFrame[columnFrames(column, columns, frameCount)[0]]!;
  return binned;
}

/** Left edge of a frame in a strip `width` pixels wide. */
export function frameToX(frame: number, frameCount: number, width: number): number {
  if (frameCount <= 0) return 0;
  return (frame / frameCount) * width;
}

/** The frame under x (pixels from the strip's left edge), clamped to the video. */
export function xToFrame(x: number, width: number, frameCount: number): number {
  if (frameCount <= 0 || width <= 0) return 0;
  return Math.min(frameCount - 1, Math.max(0, Math.floor((x / width) * frameCount)));
}

export interface FrameSpan {
  start: number;
  /** Inclusive last frame, as events report it. */
  end: number;
}

export interface Band {
  x: number;
  width: number;
}

/** Where an event sits on the strip; at least minWidth pixels so a one-frame event stays visible and clickable. */
export function spanBand(span: FrameSpan, frameCount: number, width: number, minWidth = 2): Band {
  const x0 = frameToX(span.start, frameCount, width);
  const x1 = frameToX(span.end + 1, frameCount, width);
  const w = Math.max(minWidth, x1 - x0);
  return { x: Math.min(x0, Math.max(0, width - w)), width: w };
}

/**
 * The span under x, if any, trying exact containment first and then a band's padded hit area (so
 * thin bands are easy to hit). Returns the position in `spans`, or -1.
 */
export function spanAtX(spans: readonly FrameSpan[], x: number, frameCount: number, width: number, minWidth = 2): number {
  const frame = xToFrame(x, width, frameCount);
  const exact = spans.findIndex((s) => s.start <= frame && frame <= s.end);
  if (exact >= 0) return exact;
  let best = -1;
  let bestDistance = Infinity;
  spans.forEach((span, i) => {
    const band = spanBand(span, frameCount, width, minWidth);
    const distance = x < band.x ? band.x - x : x > band.x + band.width ? x - band.x - band.width : 0;
    if (distance <= minWidth && distance < bestDistance) {
      best = i;
      bestDistance = distance;
    }
  });
  return best;
}

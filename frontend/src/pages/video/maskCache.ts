// The player's overlay masks: RLE strings fetched in chunks of frames, kept encoded (a few hundred bytes
// a frame), and decoded on demand into a small LRU (a decoded 1080p mask is 2 MB).
import type { MaskChunk } from "../../api/types";

/** Frames per masks request: the API's maximum (frontend/API.md). */
export const CHUNK_FRAMES = 500;

/** Decoded masks kept: enough for stepping back and forth around the playhead (8 x 2 MB at 1080p). */
const DECODED_KEPT = 8;

export function chunkOf(frame: number): number {
  return Math.floor(frame / CHUNK_FRAMES);
}

/** Frames [start, end) of a chunk, clipped to the video. */
export function chunkRange(chunk: number, frameCount: number): [number, number] {
  const start = chunk * CHUNK_FRAMES;
  return [start, Math.min(frameCount, start + CHUNK_FRAMES)];
}

/** The chunks holding frames [frame, frame + ahead] that exist in a video of frameCount frames. */
export function chunksAhead(frame: number, ahead: number, frameCount: number): number[] {
  if (frameCount <= 0) return [];
  const first = chunkOf(Math.max(0, Math.min(frame, frameCount - 1)));
  const last = chunkOf(Math.max(0, Math.min(frame + ahead, frameCount - 1)));
  const chunks: number[] = [];
  for (let c = first; c <= last; c++) chunks.push(c);
  return chunks;
}

export interface DecodedMask {
  width: number;
  height: number;
  /** Row-major 0/1, height x width. */
  data: Uint8Array;
}

interface ChunkEntry {
  width: number;
  height: number;
  masks: Record<string, string>;
  /** Frames below this were processed when the chunk was fetched; above it the chunk says nothing yet. */
  validUntil: number;
}

export interface MaskCacheOptions {
  frameCount: number;
  /** Frames the model has processed so far (frameCount once done). */
  framesDone: number;
  fetchChunk: (start: number, end: number, signal: AbortSignal) => Promise<MaskChunk>;
  decode: (counts: string, height: number, width: number) => Uint8Array;
}

/**
 * undefined from encoded()/mask() means "not known yet" (chunk not loaded or frame not processed);
 * null means "known: no mask on this frame".
 */
export class MaskChunkCache {
  private readonly chunks = new Map<number, ChunkEntry>();
  private readonly inflight = new Map<number, Promise<void>>();
  private readonly decoded = new Map<number, DecodedMask | null>();
  private readonly controller = new AbortController();
  private framesDone: number;

  constructor(private readonly options: MaskCacheOptions) {
    this.framesDone = options.framesDone;
  }

  /** Processing moved on: chunks fetched part-way become refetchable for the new frames. */
  setFramesDone(framesDone: number): void {
    this.framesDone = Math.max(this.framesDone, framesDone);
  }

  encoded(frame: number): string | null | undefined {
    const entry = this.chunks.get(chunkOf(frame));
    if (!entry || frame >= entry.validUntil) return undefined;
    return entry.masks[String(frame)] ?? null;
  }

  mask(frame: number): DecodedMask | null | undefined {
    if (this.decoded.has(frame)) {
      const hit = this.decoded.get(frame)!;
      // Refresh its place in the LRU.
      this.decoded.delete(frame);
      this.decoded.set(frame, hit);
      return hit;
    }
    const counts = this.encoded(frame);
    if (counts === undefined) return undefined;
    const entry = this.chunks.get(chunkOf(frame))!;
    const mask = counts === null ? null : { width: entry.width, height: entry.height, data: this.options.decode(counts, entry.height, entry.width) };
    this.decoded.set(frame, mask);
    while (this.decoded.size > DECODED_KEPT) this.decoded.delete(this.decoded.keys().next().value!);
    return mask;
  }

  /** Whether a fetch of the frame's chunk would tell something new. */
  needsFetch(frame: number): boolean {
    if (frame < 0 || frame >= this.options.frameCount || frame >= this.framesDone) return false;
    const entry = this.chunks.get(chunkOf(frame));
    return !entry || frame >= entry.validUntil;
  }

  /** Load the chunk holding the frame (once, however many callers ask). Resolves when it is in. */
  ensure(frame: number): Promise<void> {
    const chunk = chunkOf(frame);
    const running = this.inflight.get(chunk);
    if (running) return running;
    if (!this.needsFetch(frame)) return Promise.resolve();
    const [start, end] = chunkRange(chunk, this.options.frameCount);
    const framesDoneAtFetch = this.framesDone;
    const load = this.options
      .fetchChunk(start, end, this.controller.signal)
      .then((response) => {
        this.chunks.set(chunk, {
          width: response.width,
          height: response.height,
          masks: response.masks,
          validUntil: Math.min(end, framesDoneAtFetch),
        });
        for (let f = start; f < end; f++) this.decoded.delete(f);
      })
      .finally(() => this.inflight.delete(chunk));
    this.inflight.set(chunk, load);
    return load;
  }

  /** Start loading the chunks the playhead will reach within `ahead` frames; errors are left for ensure() to retry. */
  prefetch(frame: number, ahead: number): void {
    for (const chunk of chunksAhead(frame, ahead, this.options.frameCount)) {
      const first = Math.max(frame, chunk * CHUNK_FRAMES);
      if (this.needsFetch(first)) this.ensure(first).catch(() => undefined);
    }
  }

  /** Stop every request in flight; the cache is not used after this. */
  dispose(): void {
    this.controller.abort();
  }
}

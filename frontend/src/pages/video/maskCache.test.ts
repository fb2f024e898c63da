import { describe, expect, test } from "vitest";
import type { MaskChunk } from "../../api/types";
import { CHUNK_FRAMES, MaskChunkCache, chunkRange, chunksAhead } from "./maskCache";

function fakeServer(frameCount: number) {
  const calls: [number, number][] = [];
  const fetchChunk = async (start: number, end: number, _signal?: AbortSignal): Promise<MaskChunk> => {
    calls.push([start, end]);
    const masks: Record<string, string> = {};
    // Every third frame has a mask; the "RLE" is the frame number, which the fake decoder reads back.
    for (let f = start; f < end; f++) if (f % 3 === 0) masks[String(f)] = String(f);
    return { height: 2, width: 2, start, end, masks };
  };
  const decodes: string[] = [];
  const decode = (counts: string, height: number, width: number) => {
    decodes.push(counts);
    return new Uint8Array(height * width).fill(Number(counts) % 2);
  };
  return { calls, decodes, options: { frameCount, framesDone: frameCount, fetchChunk, decode } };
}

describe("chunk arithmetic", () => {
  test("chunks are 500 frames, the last one clipped to the video", () => {
    expect(CHUNK_FRAMES).toBe(500);
    expect(chunkRange(0, 18_000)).toEqual([0, 500]);
    expect(chunkRange(35, 17_800)).toEqual([17_500, 17_800]);
  });

  test("prefetch covers the chunks the playhead reaches, none past the end", () => {
    expect(chunksAhead(450, 100, 18_000)).toEqual([0, 1]);
    expect(chunksAhead(17_900, 500, 18_000)).toEqual([35]);
    expect(chunksAhead(0, 10, 0)).toEqual([]);
  });
});

describe("MaskChunkCache", () => {
  test("a frame is unknown until its chunk loads, then a mask or null", async () => {
    const server = fakeServer(1_200);
    const cache = new MaskChunkCache(server.options);
    expect(cache.mask(3)).toBeUndefined();
    await cache.ensure(3);
    expect(server.calls).toEqual([[0, 500]]);
    expect(cache.encoded(3)).toBe("3");
    expect(cache.mask(4)).toBeNull();
    expect(Array.from(cache.mask(3)!.data)).toEqual([1, 1, 1, 1]);
  });

  test("concurrent requests for one chunk make one fetch", async () => {
    const server = fakeServer(1_200);
    const cache = new MaskChunkCache(server.options);
    await Promise.all([cache.ensure(1), cache.ensure(499), cache.ensure(250)]);
    await cache.ensure(10);
    expect(server.calls).toEqual([[0, 500]]);
  });

  test("prefetch loads the next chunk before the playhead gets there", async () => {
    const server = fakeServer(1_200);
    const cache = new MaskChunkCache(server.options);
    cache.prefetch(900, 200);
    await cache.ensure(1_100);
    expect(server.calls).toEqual([
      [500, 1_000],
      [1_000, 1_200],
    ]);
  });

  test("decoded masks are reused, and only a few are kept", async () => {
    const server = fakeServer(1_200);
    const cache = new MaskChunkCache(server.options);
    await cache.ensure(0);
    cache.mask(3);
    cache.mask(3);
    expect(server.decodes).toEqual(["3"]);
    for (let f = 0; f < 60; f += 3) cache.mask(f);
    cache.mask(3);
    expect(server.decodes.filter((d) => d === "3").length).toBe(2);
  });

  test("while processing, frames not done yet are not fetched, and a partial chunk is refetched as frames arrive", async () => {
    const server = fakeServer(1_200);
    const cache = new MaskChunkCache({ ...server.options, framesDone: 100 });
    expect(cache.needsFetch(150)).toBe(false);
    await cache.ensure(50);
    expect(cache.encoded(52)).toBeNull();
    expect(cache.encoded(150)).toBeUndefined();
    await cache.ensure(150);
    expect(server.calls.length).toBe(1);
    cache.setFramesDone(400);
    expect(cache.needsFetch(150)).toBe(true);
    await cache.ensure(150);
    expect(server.calls).toEqual([
      [0, 500],
      [0, 500],
    ]);
    expect(cache.encoded(150)).toBe("150");
  });

  test("a failed fetch can be retried", async () => {
    let fail = true;
    const server = fakeServer(600);
    const cache = new MaskChunkCache({
      ...server.options,
      fetchChunk: (start, end, signal) => (fail ? Promise.reject(new Error("network")) : server.options.fetchChunk(start, end, signal)),
    });
    await expect(cache.ensure(0)).rejects.toThrow("network");
    fail = false;
    await cache.ensure(0);
    expect(cache.encoded(0)).toBe("0");
  });
});

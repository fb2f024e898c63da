import { expect, test } from "vitest";
import { ApiError } from "./http";
import {
  findResumable,
  forgetUpload,
  isRetryable,
  partCount,
  partRange,
  recallUpload,
  rememberUpload,
  retryDelay,
  runUpload,
  type FileLike,
  type KeyValueStore,
  type PartUrl,
  type Progress,
  type Transport,
  type UploadSession,
  type UploadState,
} from "./resumableUpload";

// --- a store that behaves as the server's (webapp/transfers): parts held by number, each counted at its exact length

interface FakeOptions {
  size: number;
  partSize: number;
  backend?: "local" | "s3";
  held?: number[];
  /** What PUT part n answers on its k-th try (1-based): undefined stores it. */
  fail?: (n: number, attempt: number) => ApiError | undefined;
  state?: UploadState;
}

function fakeServer(options: FakeOptions) {
  const { size, partSize } = options;
  const backend = options.backend ?? "local";
  const held = new Map<number, number>();
  for (const n of options.held ?? []) held.set(n, partRange(size, partSize, n).end - partRange(size, partSize, n).start);
  const attempts = new Map<number, number>();
  const received: { n: number; url: string; bytes: number }[] = [];
  let state: UploadState = options.state ?? "open";
  let generation = 1; // bucket URLs are fresh on every status(), as presigned URLs are
  let inFlight = 0;
  let maxInFlight = 0;
  let statusCalls = 0;
  const count = partCount(size, partSize);

  const session = (): UploadSession => {
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((n) => held.get(n) !== partRange(size, partSize, n).end - partRange(size, partSize, n).start);
    const urls: PartUrl[] = state === "open" ? missing.map((n) => ({ number: n, size: partRange(size, partSize, n).end - partRange(size, partSize, n).start, url: `/parts/${n}?g=${generation}` })) : [];
    return {
      id: 7, study: 3, filename: "clip.mp4", size, part_size: partSize, part_count: count, backend, state,
      parts: [...held.entries()].sort((a, b) => a[0] - b[0]).map(([number, bytes]) => ({ number, size: bytes })),
      missing: state === "open" ? missing : [], received_bytes: [...held.values()].reduce((a, b) => a + b, 0),
      part_urls: urls, video: state === "completed" ? 41 : null, error: "", created_at: "", expires_at: "",
    };
  };

  const transport: Transport<{ id: number }> = {
    start: async () => session(),
    status: async () => {
      statusCalls++;
      generation++;
      return session();
    },
    putPart: async (_s, part, body, onProgress, signal) => {
      const attempt = (attempts.get(part.number) ?? 0) + 1;
      attempts.set(part.number, attempt);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 1));
        if (signal.aborted) throw new DOMException("aborted", "AbortError");
        onProgress(Math.floor(body.size / 2));
        await new Promise((r) => setTimeout(r, 1));
        const error = options.fail?.(part.number, attempt);
        if (error) throw error;
        received.push({ n: part.number, url: part.url, bytes: body.size });
        held.set(part.number, body.size);
        onProgress(body.size);
      } finally {
        inFlight--;
      }
    },
    complete: async () => {
      if (session().missing.length > 0) throw new ApiError(409, "parts missing", "upload_incomplete");
      state = "completed";
      return { id: 41 };
    },
    abort: async () => {
      state = "aborted";
      held.clear();
    },
  };
  return {
    transport,
    session,
    received,
    attempts,
    held,
    get maxInFlight() {
      return maxInFlight;
    },
    get statusCalls() {
      return statusCalls;
    },
  };
}

function fileOf(size: number, name = "clip.mp4", lastModified = 1_700_000_000_000): FileLike {
  const bytes = new Uint8Array(size).map((_, i) => i % 251);
  const blob = new Blob([bytes]);
  return { name, size, lastModified, slice: (start, end) => blob.slice(start, end) };
}

const noSleep = async (): Promise<void> => undefined;

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

// --- part planning

test("parts cut the file as the server plans them: every part full but the last", () => {
  expect(partCount(10, 4)).toBe(3);
  expect([1, 2, 3].map((n) => partRange(10, 4, n))).toEqual([{ start: 0, end: 4 }, { start: 4, end: 8 }, { start: 8, end: 10 }]);
  expect(partCount(8, 4)).toBe(2);
  expect(partRange(8, 4, 2)).toEqual({ start: 4, end: 8 });
  expect(partCount(2 * 1024 ** 3, 16 * 1024 ** 2)).toBe(128); // 2 GiB in 16 MiB parts
  expect(() => partRange(10, 4, 4)).toThrow(RangeError);
  expect(() => partRange(10, 4, 0)).toThrow(RangeError);
});

// --- sending

test("every part is sent once, a few at a time, and the progress climbs to the whole size", async () => {
  const server = fakeServer({ size: 10_000, partSize: 1_000 });
  const progress: Progress[] = [];
  const video = await runUpload({
    transport: server.transport, session: server.session(), file: fileOf(10_000), signal: new AbortController().signal,
    onProgress: (p) => progress.push(p), concurrency: 3, sleep: noSleep,
  });
  expect(video).toEqual({ id: 41 });
  expect(server.received.map((r) => r.n).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(server.received.every((r) => r.bytes === 1_000)).toBe(true);
  expect(server.maxInFlight).toBe(3);
  const sending = progress.filter((p) => p.phase === "sending").map((p) => p.sent);
  expect(sending.some((sent) => sent % 1_000 !== 0)).toBe(true); // bytes of parts in flight count as they go
  expect(Math.max(...sending)).toBe(10_000);
  expect(progress.at(-1)).toEqual({ phase: "completing", sent: 10_000, total: 10_000, retrying: 0 });
  expect(progress.every((p) => p.retrying === 0)).toBe(true);
});

test("the last part is the short one", async () => {
  const server = fakeServer({ size: 2_500, partSize: 1_000 });
  await runUpload({ transport: server.transport, session: server.session(), file: fileOf(2_500), signal: new AbortController().signal, onProgress: () => undefined, sleep: noSleep });
  expect(Object.fromEntries(server.received.map((r) => [r.n, r.bytes]))).toEqual({ 1: 1_000, 2: 1_000, 3: 500 });
});

// --- retries

test("a part that fails with no answer is retried with backoff, and the upload completes", async () => {
  const server = fakeServer({ size: 4_000, partSize: 1_000, fail: (n, attempt) => (n === 2 && attempt <= 2 ? new ApiError(0, "lost") : undefined) });
  const waits: number[] = [];
  const retrying: number[] = [];
  await runUpload({
    transport: server.transport, session: server.session(), file: fileOf(4_000), signal: new AbortController().signal,
    onProgress: (p) => retrying.push(p.retrying), sleep: async (ms) => void waits.push(ms), random: () => 0.5,
  });
  expect(retrying).toContain(1); // the page can say a part is being tried again
  expect(retrying.at(-1)).toBe(0);
  expect(server.attempts.get(2)).toBe(3);
  expect(waits).toEqual([1_000, 2_000]);
  expect([...server.held.keys()].sort()).toEqual([1, 2, 3, 4]);
});

test("a bucket's 403 (an expired presigned URL) is retried with a fresh URL", async () => {
  const server = fakeServer({ size: 3_000, partSize: 1_000, backend: "s3", fail: (n, attempt) => (n === 3 && attempt === 1 ? new ApiError(403, "expired") : undefined) });
  await runUpload({ transport: server.transport, session: server.session(), file: fileOf(3_000), signal: new AbortController().signal, onProgress: () => undefined, sleep: noSleep });
  const tries = server.received.filter((r) => r.n === 3);
  expect(tries).toHaveLength(1);
  expect(tries[0]?.url).not.toBe("/parts/3?g=1"); // the URL of the first status is not used again
});

test("a refusal is not retried, and the parts that arrived stay for a resume", async () => {
  const server = fakeServer({ size: 4_000, partSize: 1_000, fail: (n) => (n === 3 ? new ApiError(400, "part 3 must be exactly 1000 bytes", "invalid_upload") : undefined) });
  const run = runUpload({ transport: server.transport, session: server.session(), file: fileOf(4_000), signal: new AbortController().signal, onProgress: () => undefined, concurrency: 1, sleep: noSleep });
  await expect(run).rejects.toMatchObject({ status: 400, code: "invalid_upload" });
  expect(server.attempts.get(3)).toBe(1);
  expect(server.held.has(1) && server.held.has(2)).toBe(true);
  expect(server.session().state).toBe("open");
});

test("after the last attempt the upload stops with the error; the other parts stop too", async () => {
  const server = fakeServer({ size: 6_000, partSize: 1_000, fail: (n) => (n === 1 ? new ApiError(503, "unavailable") : undefined) });
  const run = runUpload({ transport: server.transport, session: server.session(), file: fileOf(6_000), signal: new AbortController().signal, onProgress: () => undefined, concurrency: 2, maxAttempts: 3, sleep: noSleep });
  await expect(run).rejects.toMatchObject({ status: 503 });
  expect(server.attempts.get(1)).toBe(3);
  expect(server.held.size).toBeLessThan(6);
});

test("what is retryable", () => {
  expect(isRetryable(new ApiError(0, ""), "local")).toBe(true);
  expect(isRetryable(new ApiError(502, ""), "local")).toBe(true);
  expect(isRetryable(new ApiError(429, ""), "local")).toBe(true);
  expect(isRetryable(new ApiError(403, ""), "s3")).toBe(true);
  expect(isRetryable(new ApiError(403, ""), "local")).toBe(false); // a role or a session lost: not the network
  expect(isRetryable(new ApiError(409, ""), "local")).toBe(false);
  expect(isRetryable(new ApiError(413, ""), "s3")).toBe(false);
  expect(isRetryable(new Error("bug"), "local")).toBe(false);
});

test("backoff doubles from one second to a 30 s ceiling, with jitter", () => {
  expect([1, 2, 3, 4, 5, 6, 9].map((n) => retryDelay(n, () => 0.5))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  expect(retryDelay(1, () => 0)).toBe(800);
  expect(retryDelay(1, () => 1)).toBe(1_200);
});

test("cancelling stops the parts in flight with an AbortError", async () => {
  const server = fakeServer({ size: 10_000, partSize: 1_000 });
  const controller = new AbortController();
  const run = runUpload({
    transport: server.transport, session: server.session(), file: fileOf(10_000), signal: controller.signal,
    onProgress: (p) => p.sent >= 2_000 && controller.abort(), concurrency: 2, sleep: noSleep,
  });
  await expect(run).rejects.toMatchObject({ name: "AbortError" });
  expect(server.session().state).toBe("open");
  expect(server.held.size).toBeLessThan(10);
});

// --- resume

test("a resumed session sends only the parts the store does not hold", async () => {
  const server = fakeServer({ size: 5_000, partSize: 1_000, held: [1, 3] });
  const progress: number[] = [];
  await runUpload({ transport: server.transport, session: server.session(), file: fileOf(5_000), signal: new AbortController().signal, onProgress: (p) => progress.push(p.sent), sleep: noSleep });
  expect(server.received.map((r) => r.n).sort()).toEqual([2, 4, 5]);
  expect(progress[0]).toBe(2_000); // the bar starts where the store is
});

test("a part the store did not count whole is sent again before completing", async () => {
  const server = fakeServer({ size: 3_000, partSize: 1_000 });
  let once = true;
  const put = server.transport.putPart;
  server.transport.putPart = async (s, part, body, onProgress, signal) => {
    await put(s, part, body, onProgress, signal);
    if (part.number === 2 && once) {
      once = false;
      server.held.set(2, 999); // arrived short (a store that took it anyway): not held
    }
  };
  await runUpload({ transport: server.transport, session: server.session(), file: fileOf(3_000), signal: new AbortController().signal, onProgress: () => undefined, sleep: noSleep });
  expect(server.received.filter((r) => r.n === 2)).toHaveLength(2);
  expect(server.session().state).toBe("completed");
});

test("a file of another size is refused before anything is sent", async () => {
  const server = fakeServer({ size: 3_000, partSize: 1_000 });
  await expect(runUpload({ transport: server.transport, session: server.session(), file: fileOf(2_999), signal: new AbortController().signal, onProgress: () => undefined })).rejects.toMatchObject({ status: 400 });
  expect(server.received).toHaveLength(0);
});

test("a session is remembered per study and file: name, size and modification time", () => {
  const store = memoryStore();
  const file = fileOf(3_000, "procedure.mp4", 111);
  rememberUpload(store, 3, file, 7);
  expect(recallUpload(store, 3, file)).toEqual({ uploadId: 7, studyId: 3, name: "procedure.mp4", size: 3_000, lastModified: 111 });
  expect(recallUpload(store, 3, fileOf(3_000, "procedure.mp4", 112))).toBeNull(); // the file changed since
  expect(recallUpload(store, 3, fileOf(3_001, "procedure.mp4", 111))).toBeNull();
  expect(recallUpload(store, 4, file)).toBeNull(); // another study
  forgetUpload(store, 3, file);
  expect(recallUpload(store, 3, file)).toBeNull();
  store.setItem("polypscope.upload.3.3000.111.procedure.mp4", "{not json");
  expect(recallUpload(store, 3, file)).toBeNull();
});

test("choosing the same file again offers its open session; an ended one is forgotten", async () => {
  const store = memoryStore();
  const file = fileOf(5_000);
  const open = fakeServer({ size: 5_000, partSize: 1_000, held: [1, 2] });
  expect(await findResumable(open.transport, store, 3, file)).toEqual({ kind: "new" });
  rememberUpload(store, 3, file, 7);
  const found = await findResumable(open.transport, store, 3, file);
  expect(found.kind).toBe("resume");
  expect(found.kind === "resume" && found.session.received_bytes).toBe(2_000);

  const expired = fakeServer({ size: 5_000, partSize: 1_000, state: "expired" });
  expect(await findResumable(expired.transport, store, 3, file)).toEqual({ kind: "new" });
  expect(recallUpload(store, 3, file)).toBeNull();

  rememberUpload(store, 3, file, 7);
  const completed = fakeServer({ size: 5_000, partSize: 1_000, state: "completed" });
  expect(await findResumable(completed.transport, store, 3, file)).toEqual({ kind: "uploaded", videoId: 41 });

  rememberUpload(store, 3, file, 7);
  const gone: Pick<Transport<unknown>, "status"> = { status: async () => Promise.reject(new ApiError(404, "no such upload")) };
  expect(await findResumable(gone, store, 3, file)).toEqual({ kind: "new" });
  expect(store.data.size).toBe(0);
});

test("with no record in this browser, the server's open session of the same name and size is offered", async () => {
  const server = fakeServer({ size: 5_000, partSize: 1_000, held: [4] });
  const file = fileOf(5_000);
  const listed = async () => [{ id: 6, filename: "other.mp4", size: 5_000 }, { id: 7, filename: "clip.mp4", size: 5_000 }];
  const found = await findResumable(server.transport, memoryStore(), 3, file, listed);
  expect(found.kind === "resume" && found.session.id).toBe(7);
});

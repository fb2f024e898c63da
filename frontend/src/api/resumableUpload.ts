// The resumable upload protocol (webapp/transfers, frontend/API.md "Resumable uploads"), pure: no DOM, no fetch. The
// transport (uploads.ts in the browser, a fake in the tests) does the requests; this module plans the parts, keeps a
// few in flight, retries a failed part, resumes from what the store says it holds, and remembers a session per file
// so that a reload can offer to resume it.
import { ApiError } from "./http";

export type UploadState = "open" | "assembling" | "completed" | "aborted" | "expired" | "failed";

export interface PartUrl {
  number: number;
  size: number;
  /** An app path (local disk: credentials and CSRF as any write) or a presigned bucket URL (send nothing else). */
  url: string;
}

/** GET /api/uploads/{id}/: the session with what its store holds. */
export interface UploadSession {
  id: number;
  study: number;
  filename: string;
  size: number;
  part_size: number;
  part_count: number;
  backend: "local" | "s3";
  state: UploadState;
  parts: { number: number; size: number }[];
  missing: number[];
  received_bytes: number;
  part_urls: PartUrl[];
  video: number | null;
  error: string;
  created_at: string;
  expires_at: string;
}

/** What the client needs of a file: a browser File fits. */
export interface FileLike {
  name: string;
  size: number;
  lastModified: number;
  slice(start: number, end: number): Blob;
}

export interface Transport<V> {
  start(studyId: number, filename: string, size: number): Promise<UploadSession>;
  status(uploadId: number): Promise<UploadSession>;
  /** PUT one part; onProgress(bytes of this part sent so far). Rejects with an ApiError (status 0: no answer). */
  putPart(session: UploadSession, part: PartUrl, body: Blob, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<void>;
  complete(uploadId: number): Promise<V>;
  abort(uploadId: number): Promise<void>;
}

// --- part planning --------------------------------------------------------------------------------------------------

/** Part n (1-based) covers bytes [(n - 1) * partSize, min(n * partSize, size)): the server's plan (transfers/plan.py). */
export function partRange(size: number, partSize: number, n: number): { start: number; end: number } {
  const count = partCount(size, partSize);
  if (!Number.isInteger(n) || n < 1 || n > count) throw new RangeError(`part ${n}: the parts are 1 to ${count}`);
  return { start: (n - 1) * partSize, end: Math.min(n * partSize, size) };
}

export function partCount(size: number, partSize: number): number {
  return Math.ceil(size / partSize);
}

// --- retries --------------------------------------------------------------------------------------------------------

/** Parts tried this many times each before the upload stops (it can be resumed: what was sent stays). */
export const MAX_ATTEMPTS = 6;
/** Parts in flight at once: enough to fill a link with per-request latency, few enough not to starve the page. */
export const CONCURRENCY = 4;

/** Worth trying again: no answer (a dropped connection), a timeout, throttling, a server error, and a bucket's 403
 * (a presigned URL expired: the next try asks for a fresh one). Not: the request itself was wrong or the session
 * ended (400, 401, 404, 409, 413). */
export function isRetryable(error: unknown, backend: UploadSession["backend"]): boolean {
  if (!(error instanceof ApiError)) return false;
  const s = error.status;
  return s === 0 || s === 408 || s === 429 || s >= 500 || (backend === "s3" && s === 403);
}

/** Backoff before try `attempt` (1 = the first retry): 1 s doubling to 30 s, with up to 20% jitter either way. */
export function retryDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1_000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

// --- the upload -----------------------------------------------------------------------------------------------------

export interface Progress {
  phase: "sending" | "completing";
  /** Bytes the store holds plus the bytes of the parts in flight sent so far. */
  sent: number;
  total: number;
  /** Parts waiting to be tried again after a failure (the connection is flaky or gone). */
  retrying: number;
}

export interface RunOptions<V> {
  transport: Transport<V>;
  session: UploadSession;
  file: FileLike;
  onProgress: (progress: Progress) => void;
  signal: AbortSignal;
  concurrency?: number;
  maxAttempts?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new DOMException("aborted", "AbortError"));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DOMException("aborted", "AbortError"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Rounds of "send what is missing, ask the store, complete" before giving up: a part the store does not count
 * (it came short) is sent again in the next round. */
const MAX_ROUNDS = 3;

/**
 * Send every part the session's store does not hold yet, at most `concurrency` at a time, each tried up to
 * `maxAttempts` times; then complete. Resumes from whatever the store holds: a session from `status()` after a
 * reload goes on where it stopped. Resolves with what complete answers (the video).
 */
export async function runUpload<V>(options: RunOptions<V>): Promise<V> {
  const { transport, file, onProgress, signal } = options;
  const concurrency = options.concurrency ?? CONCURRENCY;
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const sleep = options.sleep ?? abortableSleep;
  let session = options.session;
  if (file.size !== session.size) throw new ApiError(400, `${file.name} is ${file.size} bytes; this upload is of ${session.size} bytes`);
  if (session.state === "completed" || session.state === "assembling") return await transport.complete(session.id);
  if (session.state !== "open") throw new ApiError(409, sessionEndedMessage(session), "upload_closed");

  for (let round = 1; ; round++) {
    await sendMissing(session);
    session = await transport.status(session.id);
    if (session.state !== "open" || session.missing.length === 0) break;
    if (round >= MAX_ROUNDS) throw new ApiError(409, `parts ${session.missing.join(", ")} did not arrive whole; try again`, "upload_incomplete");
  }
  onProgress({ phase: "completing", sent: session.size, total: session.size, retrying: 0 });
  return await transport.complete(session.id);

  async function sendMissing(current: UploadSession): Promise<void> {
    const held = current.received_bytes;
    const inFlight = new Map<number, number>();
    let done = 0;
    let retrying = 0;
    const report = () => {
      let loaded = 0;
      for (const bytes of inFlight.values()) loaded += bytes;
      onProgress({ phase: "sending", sent: Math.min(held + done + loaded, current.size), total: current.size, retrying });
    };
    report();
    const queue = [...current.missing];
    const urls = new Map(current.part_urls.map((u) => [u.number, u]));
    let failure: unknown = null;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener("abort", onAbort, { once: true });

    const sendOne = async (n: number): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        const url = urls.get(n);
        const { start, end } = partRange(current.size, current.part_size, n);
        try {
          if (!url) throw new ApiError(409, `the server gave no address for part ${n}`, "upload_closed");
          inFlight.set(n, 0);
          await transport.putPart(current, url, file.slice(start, end), (loaded) => {
            inFlight.set(n, Math.min(loaded, end - start));
            report();
          }, stop.signal);
          inFlight.delete(n);
          done += end - start;
          report();
          return;
        } catch (error) {
          inFlight.delete(n);
          report();
          if (stop.signal.aborted || !isRetryable(error, current.backend) || attempt >= maxAttempts) throw error;
          retrying++;
          report();
          try {
            await sleep(retryDelay(attempt, options.random), stop.signal);
          } finally {
            retrying--;
          }
          // Fresh addresses (a presigned URL may have expired) and the store's word: the part may have arrived.
          const fresh = await transport.status(current.id);
          if (fresh.state !== "open") throw new ApiError(409, sessionEndedMessage(fresh), "upload_closed");
          if (!fresh.missing.includes(n)) {
            done += end - start;
            report();
            return;
          }
          for (const u of fresh.part_urls) urls.set(u.number, u);
        }
      }
    };

    const worker = async (): Promise<void> => {
      while (failure === null && !stop.signal.aborted) {
        const n = queue.shift();
        if (n === undefined) return;
        try {
          await sendOne(n);
        } catch (error) {
          if (failure === null) failure = error;
          stop.abort(); // the others stop too: the upload is resumable from what the store holds
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    if (signal.aborted) throw new DOMException("aborted", "AbortError");
    if (failure !== null) throw failure;
  }
}

export function sessionEndedMessage(session: UploadSession): string {
  switch (session.state) {
    case "expired":
      return "This upload expired (unfinished uploads are kept a day); start it again.";
    case "aborted":
      return "This upload was cancelled; start it again.";
    case "failed":
      return session.error || "This upload failed its checks.";
    default:
      return `This upload is ${session.state}.`;
  }
}

// --- remembering a session per file, for resume after a reload -------------------------------------------------------

export type KeyValueStore = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export interface SavedUpload {
  uploadId: number;
  studyId: number;
  name: string;
  size: number;
  lastModified: number;
}

/** One key per study and file (name, size and modification time: the same file chosen again, not a namesake). */
export function resumeKey(studyId: number, file: Pick<FileLike, "name" | "size" | "lastModified">): string {
  return `polypscope.upload.${studyId}.${file.size}.${file.lastModified}.${file.name}`;
}

export function rememberUpload(store: KeyValueStore, studyId: number, file: FileLike, uploadId: number): void {
  const saved: SavedUpload = { uploadId, studyId, name: file.name, size: file.size, lastModified: file.lastModified };
  try {
    store.setItem(resumeKey(studyId, file), JSON.stringify(saved));
  } catch {
    // Storage full or blocked: the upload still runs, it just cannot be offered back after a reload.
  }
}

export function recallUpload(store: KeyValueStore, studyId: number, file: FileLike): SavedUpload | null {
  try {
    const raw = store.getItem(resumeKey(studyId, file));
    if (raw === null) return null;
    const saved = JSON.parse(raw) as Partial<SavedUpload>;
    const matches = saved.studyId === studyId && saved.name === file.name && saved.size === file.size && saved.lastModified === file.lastModified;
    return matches && typeof saved.uploadId === "number" ? (saved as SavedUpload) : null;
  } catch {
    return null;
  }
}

export function forgetUpload(store: KeyValueStore, studyId: number, file: FileLike): void {
  try {
    store.removeItem(resumeKey(studyId, file));
  } catch {
    // Nothing to do: a stale record is checked against the server before it is offered.
  }
}

/** What choosing a file leads to: a session of it that can go on (offered to resume), its video (sent already), or a
 * fresh start. Asks the server about the remembered session; a session it no longer takes is forgotten. */
export type Resumable = { kind: "resume"; session: UploadSession } | { kind: "uploaded"; videoId: number } | { kind: "new" };

export async function findResumable<V>(
  transport: Pick<Transport<V>, "status">,
  store: KeyValueStore,
  studyId: number,
  file: FileLike,
  openSessions: () => Promise<Pick<UploadSession, "id" | "filename" | "size">[]> = async () => [],
): Promise<Resumable> {
  let id = recallUpload(store, studyId, file)?.uploadId ?? null;
  if (id === null) {
    // Another browser, or storage cleared: the server's own list of this user's open sessions, by name and size.
    const twin = (await openSessions().catch(() => [])).find((s) => s.filename === file.name && s.size === file.size);
    id = twin?.id ?? null;
  }
  if (id === null) return { kind: "new" };
  let session: UploadSession;
  try {
    session = await transport.status(id);
  } catch {
    forgetUpload(store, studyId, file);
    return { kind: "new" };
  }
  if (session.size !== file.size) {
    forgetUpload(store, studyId, file);
    return { kind: "new" };
  }
  if (session.state === "open") return { kind: "resume", session };
  if (session.state === "completed" && session.video !== null) {
    forgetUpload(store, studyId, file);
    return { kind: "uploaded", videoId: session.video };
  }
  forgetUpload(store, studyId, file);
  return { kind: "new" };
}

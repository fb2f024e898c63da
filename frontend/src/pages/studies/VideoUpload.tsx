import { useEffect, useRef, useState } from "react";
import { ApiError } from "../../api/http";
import {
  findResumable,
  forgetUpload,
  rememberUpload,
  runUpload,
  type UploadSession,
} from "../../api/resumableUpload";
import { browserTransport, listOpenUploads } from "../../api/uploads";
import { toApiError } from "../../api/useApi";
import type { Video } from "../../api/types";
import { formatBytes } from "../../timeline/format";
import { FileButton } from "./FileButton";

type UploadState =
  | { phase: "idle" }
  | { phase: "checking"; name: string }
  | { phase: "offer"; file: File; session: UploadSession }
  | { phase: "sending"; name: string; sent: number; total: number; retrying: number }
  | { phase: "completing"; name: string }
  | { phase: "done"; name: string; message: string }
  | { phase: "failed"; name: string; message: string; retry: (() => void) | null };

// Answers after which the server kept nothing of the upload (the file was refused, or the session ended): starting
// again is the only way on. Anything else (a lost connection, a server error) leaves the parts sent so far.
const FINAL_CODES = new Set(["invalid_upload", "duplicate_video", "upload_closed", "upload_too_large", "invalid"]);

const percent = (sent: number, total: number): number => (total > 0 ? Math.floor((100 * sent) / total) : 0);

/**
 * Upload a video in parts (the resumable protocol, webapp/transfers): a progress bar of the bytes sent, a few parts in
 * flight, a failed part retried; the session is remembered for the file, so choosing the same file again after a
 * reload offers to resume where it stopped.
 */
export function VideoUpload({ studyId, onUploaded }: { studyId: number; onUploaded: (video: Video) => void }) {
  const [state, setState] = useState<UploadState>({ phase: "idle" });
  const abortRef = useRef<AbortController | null>(null);
  const currentRef = useRef<{ file: File; session: UploadSession } | null>(null);
  const busy = state.phase === "checking" || state.phase === "sending" || state.phase === "completing";

  // Leaving mid-upload stops it (it can be resumed by choosing the file again): ask first.
  useEffect(() => {
    if (state.phase !== "sending" && state.phase !== "completing") return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [state.phase]);

  useEffect(() => () => abortRef.current?.abort(), []);

  const run = (file: File, session: UploadSession) => {
    const controller = new AbortController();
    abortRef.current = controller;
    currentRef.current = { file, session };
    setState({ phase: "sending", name: file.name, sent: session.received_bytes, total: session.size, retrying: 0 });
    runUpload({
      transport: browserTransport,
      session,
      file,
      signal: controller.signal,
      onProgress: (p) =>
        setState(p.phase === "completing" ? { phase: "completing", name: file.name } : { phase: "sending", name: file.name, sent: p.sent, total: p.total, retrying: p.retrying }),
    }).then(
      (video) => {
        abortRef.current = null;
        forgetUpload(localStorage, studyId, file);
        setState({ phase: "done", name: file.name, message: "uploaded: its progress is in the list below." });
        onUploaded(video);
      },
      (reason: unknown) => {
        abortRef.current = null;
        if (controller.signal.aborted) return; // cancelled: cancel() says what happened
        const error = toApiError(reason);
        const final = error instanceof ApiError && error.status >= 400 && error.status < 500 && FINAL_CODES.has(error.code ?? "");
        if (final) forgetUpload(localStorage, studyId, file);
        setState({
          phase: "failed",
          name: file.name,
          message: final ? error.detail : `${error.detail} What was sent is kept: retry, or choose the file again later.`,
          retry: final ? null : () => void resume(file, session.id),
        });
      },
    );
  };

  const fail = (name: string, reason: unknown) => setState({ phase: "failed", name, message: toApiError(reason).detail, retry: null });

  const startNew = async (file: File) => {
    setState({ phase: "sending", name: file.name, sent: 0, total: file.size, retrying: 0 });
    try {
      const session = await browserTransport.start(studyId, file.name, file.size);
      rememberUpload(localStorage, studyId, file, session.id);
      run(file, session);
    } catch (reason) {
      fail(file.name, reason);
    }
  };

  const resume = async (file: File, uploadId: number) => {
    setState({ phase: "checking", name: file.name });
    try {
      run(file, await browserTransport.status(uploadId));
    } catch (reason) {
      fail(file.name, reason);
    }
  };

  const choose = async (file: File) => {
    setState({ phase: "checking", name: file.name });
    const found = await findResumable(browserTransport, localStorage, studyId, file, () => listOpenUploads(studyId));
    if (found.kind === "resume") setState({ phase: "offer", file, session: found.session });
    else if (found.kind === "uploaded") setState({ phase: "done", name: file.name, message: `was uploaded already (video ${found.videoId}).` });
    else await startNew(file);
  };

  const startOver = async (file: File, session: UploadSession) => {
    forgetUpload(localStorage, studyId, file);
    await browserTransport.abort(session.id).catch(() => undefined); // its parts go now, not at expiry
    await startNew(file);
  };

  /** Stop sending and abort the session: its parts are removed now (not at expiry), and nothing is offered back. */
  const cancel = async () => {
    abortRef.current?.abort();
    const current = currentRef.current;
    if (current === null) return;
    setState({ phase: "done", name: current.file.name, message: "upload cancelled." });
    forgetUpload(localStorage, studyId, current.file);
    await browserTransport.abort(current.session.id).catch(() => undefined);
  };

  return (
    <div className="upload">
      <FileButton label="Upload video…" testId="upload-input" accept="video/*,.mp4,.m4v,.mov,.avi,.mkv,.webm,.mpg,.mpeg,.wmv,.ts,.mts,.m2ts"
        busy={busy} onFiles={([file]) => file && void choose(file)} />
      {state.phase === "checking" && <span className="upload-status">{state.name}: looking for an earlier upload…</span>}
      {state.phase === "offer" && (
        <span className="upload-status" data-testid="upload-resume-offer">
          {state.file.name}: {percent(state.session.received_bytes, state.session.size)}% ({formatBytes(state.session.received_bytes)} of{" "}
          {formatBytes(state.session.size)}) was sent before.
          <button type="button" data-testid="upload-resume" onClick={() => run(state.file, state.session)}>
            Resume
          </button>
          <button type="button" className="link" data-testid="upload-restart" onClick={() => void startOver(state.file, state.session)}>
            Start over
          </button>
        </span>
      )}
      {state.phase === "sending" && (
        <span className="upload-status">
          <progress data-testid="upload-progress" value={state.total > 0 ? state.sent / state.total : 0} max={1} />
          <span data-testid="upload-sent">
            {state.name}: {percent(state.sent, state.total)}%, {formatBytes(state.sent)} of {formatBytes(state.total)}
          </span>
          {state.retrying > 0 && <span data-testid="upload-retrying">(connection trouble: trying again…)</span>}
          <button type="button" className="link" data-testid="upload-cancel" onClick={() => void cancel()}>
            Cancel
          </button>
        </span>
      )}
      {state.phase === "completing" && (
        <span className="upload-status" data-testid="upload-completing">
          <progress value={1} max={1} />
          {state.name}: sent; checking the video…
        </span>
      )}
      {state.phase === "done" && (
        <span className="upload-status ok" data-testid="upload-done">
          {state.name} {state.message}
        </span>
      )}
      {state.phase === "failed" && (
        <span className="upload-status error" role="alert" data-testid="upload-error">
          {state.name}: {state.message}
          {state.retry && (
            <button type="button" data-testid="upload-retry" onClick={state.retry}>
              Retry
            </button>
          )}
        </span>
      )}
    </div>
  );
}

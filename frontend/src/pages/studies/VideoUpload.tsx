import { useEffect, useRef, useState } from "react";
import { uploadVideo } from "../../api/client";
import { toApiError } from "../../api/useApi";
import type { Video } from "../../api/types";
import { formatBytes } from "../../timeline/format";
import { FileButton } from "./FileButton";

type UploadState =
  | { phase: "idle" }
  | { phase: "sending"; name: string; size: number; fraction: number }
  | { phase: "done"; name: string }
  | { phase: "failed"; name: string; message: string };

/** Upload one video with a real progress bar (XMLHttpRequest reports bytes sent; fetch cannot). */
export function VideoUpload({ studyId, onUploaded }: { studyId: number; onUploaded: (video: Video) => void }) {
  const [state, setState] = useState<UploadState>({ phase: "idle" });
  const abortRef = useRef<(() => void) | null>(null);

  // Leaving mid-upload would throw the bytes sent so far away: ask first.
  useEffect(() => {
    if (state.phase !== "sending") return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [state.phase]);

  useEffect(() => () => abortRef.current?.(), []);

  const start = (file: File) => {
    setState({ phase: "sending", name: file.name, size: file.size, fraction: 0 });
    const handle = uploadVideo(studyId, file, (fraction) =>
      setState((s) => (s.phase === "sending" ? { ...s, fraction } : s)),
    );
    abortRef.current = handle.abort;
    handle.done.then(
      (video) => {
        abortRef.current = null;
        setState({ phase: "done", name: file.name });
        onUploaded(video);
      },
      (reason: unknown) => {
        abortRef.current = null;
        setState({ phase: "failed", name: file.name, message: toApiError(reason).detail });
      },
    );
  };

  return (
    <div className="upload">
      <FileButton label="Upload video…" testId="upload-input" accept="video/*,.mp4,.mov,.avi,.mkv,.webm,.mpg,.mpeg"
        busy={state.phase === "sending"} onFiles={([file]) => file && start(file)} />
      {state.phase === "sending" && (
        <span className="upload-status">
          <progress data-testid="upload-progress" value={state.fraction} max={1} />
          <span>
            {state.name}: {Math.round(state.fraction * 100)}% of {formatBytes(state.size)}
          </span>
          <button type="button" className="link" onClick={() => abortRef.current?.()}>
            Cancel
          </button>
        </span>
      )}
      {state.phase === "done" && (
        <span className="upload-status ok" data-testid="upload-done">
          {state.name} uploaded; processing starts shortly.
        </span>
      )}
      {state.phase === "failed" && (
        <span className="upload-status error" role="alert" data-testid="upload-error">
          {state.name}: {state.message}
        </span>
      )}
    </div>
  );
}

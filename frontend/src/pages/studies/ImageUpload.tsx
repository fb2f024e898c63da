import { useEffect, useRef, useState } from "react";
import { toApiError } from "../../api/useApi";
import type { StillImage } from "../../api/types";
import { formatBytes } from "../../timeline/format";
import { FileButton } from "./FileButton";
import { uploadStudyImages } from "./studyApi";

type State =
  | { phase: "idle" }
  | { phase: "sending"; files: number; size: number; fraction: number }
  | { phase: "done"; images: number }
  | { phase: "failed"; message: string };

/** Add still images to the study: JPEG or PNG files, or a Kvasir-SEG zip (images with ground truth), in one
 * all-or-nothing request; the model predicts each image once it is stored. */
export function ImageUpload({ studyId, onAdded }: { studyId: number; onAdded: (images: StillImage[]) => void }) {
  const [state, setState] = useState<State>({ phase: "idle" });
  const abortRef = useRef<(() => void) | null>(null);

  useEffect(() => () => abortRef.current?.(), []);

  const start = (files: File[]) => {
    const size = files.reduce((sum, f) => sum + f.size, 0);
    setState({ phase: "sending", files: files.length, size, fraction: 0 });
    const handle = uploadStudyImages(studyId, files, (fraction) => setState((s) => (s.phase === "sending" ? { ...s, fraction } : s)));
    abortRef.current = handle.abort;
    handle.done.then(
      (body) => {
        abortRef.current = null;
        setState({ phase: "done", images: body.images.length });
        onAdded(body.images);
      },
      (reason: unknown) => {
        abortRef.current = null;
        setState({ phase: "failed", message: toApiError(reason).detail });
      },
    );
  };

  return (
    <div className="upload">
      <FileButton label="Add images…" testId="image-upload-input" multiple
        accept="image/jpeg,image/png,.jpg,.jpeg,.png,.zip,application/zip" busy={state.phase === "sending"}
        title="JPEG or PNG images, or a Kvasir-SEG zip (images/ and masks/)" onFiles={start} />
      {state.phase === "sending" && (
        <span className="upload-status">
          <progress data-testid="image-upload-progress" value={state.fraction} max={1} />
          <span>
            {state.files} file{state.files === 1 ? "" : "s"}: {Math.round(state.fraction * 100)}% of {formatBytes(state.size)}
          </span>
        </span>
      )}
      {state.phase === "done" && (
        <span className="upload-status ok" data-testid="image-upload-done">
          {state.images} image{state.images === 1 ? "" : "s"} added; the model outlines them shortly.
        </span>
      )}
      {state.phase === "failed" && (
        <span className="upload-status error" role="alert" data-testid="image-upload-error">
          Nothing was added: {state.message}
        </span>
      )}
    </div>
  );
}

import type { VideoStatus } from "../../api/types";
import { formatEta } from "../../timeline/format";
import { VIDEO_STATUS_LABELS } from "../labels";

export interface Progress {
  status: VideoStatus;
  framesDone: number;
  frameCount: number;
  fps: number | null;
  etaS: number | null;
}

export function ProcessingBar({ progress, connected, onCancel }: { progress: Progress; connected: boolean; onCancel: (() => void) | null }) {
  const { status, framesDone, frameCount, fps, etaS } = progress;
  const fraction = frameCount > 0 ? Math.min(1, framesDone / frameCount) : 0;
  return (
    <div className="processing">
      <div
        className="progress-bar"
        data-testid="progress-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={frameCount}
        aria-valuenow={framesDone}
        data-status={status}
      >
        <div className="progress-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <div className="processing-text small">
        <strong>{VIDEO_STATUS_LABELS[status]}</strong>
        <span>
          {framesDone} / {frameCount || "?"} frames ({Math.round(fraction * 100)}%)
        </span>
        {fps !== null && <span>{fps.toFixed(1)} fps</span>}
        <span>ETA {status === "queued" ? "waiting for a worker" : formatEta(etaS)}</span>
        {!connected && <span className="muted">live updates connecting…</span>}
        {onCancel && (
          <button type="button" className="link" onClick={onCancel}>
            Cancel processing
          </button>
        )}
      </div>
    </div>
  );
}

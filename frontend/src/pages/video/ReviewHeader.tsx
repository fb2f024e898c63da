// The video page's head: where it is (studies / the patient / the file), its status and facts, and actions.
import { Link } from "react-router";
import type { Video } from "../../api/types";
import { formatTime } from "../../timeline/format";
import { VideoStatusBadge } from "../common";

/** The video as GET /api/videos/{id}/ gives it: with the patient's pseudonym (frontend/API.md). */
export type ReviewVideo = Video & { patient_pseudo_id?: string };

interface ReviewHeaderProps {
  video: ReviewVideo;
  fps: number;
  /** Admins: process the video again with the active model (null: not offered). */
  onReprocess: (() => void) | null;
  onHelp: () => void;
}

export function ReviewHeader({ video: v, fps, onReprocess, onHelp }: ReviewHeaderProps) {
  return (
    <div className="review-head">
      <nav className="crumbs" data-testid="video-crumbs" aria-label="Breadcrumb">
        <Link to="/app/">Studies</Link> / <Link to={`/app/studies/${v.study}`}>{v.patient_pseudo_id ? `Patient ${v.patient_pseudo_id}` : "Study"}</Link> /
      </nav>
      <h1 className="ellipsis" title={v.original_name} data-testid="video-title">
        {v.original_name}
      </h1>
      <VideoStatusBadge status={v.status} />
      <span className="small muted">
        {formatTime(v.duration_s)} · {fps.toFixed(2)} fps · {v.width}×{v.height}
        {v.model_version && <> · model {v.model_version}</>}
      </span>
      <span className="spacer" />
      {onReprocess && (
        <button type="button" onClick={onReprocess} data-testid="reprocess-video" title="Run the active model over every frame again">
          Reprocess with the active model
        </button>
      )}
      <button type="button" className="link" onClick={onHelp} data-testid="shortcuts-button">
        Shortcuts <kbd>?</kbd>
      </button>
    </div>
  );
}

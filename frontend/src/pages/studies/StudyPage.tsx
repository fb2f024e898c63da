import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { listStudyImages, listStudyVideos, stillImageUrl } from "../../api/client";
import { toApiError, useApi } from "../../api/useApi";
import type { ProgressMessage, StudyStatus, Video } from "../../api/types";
import { formatTime } from "../../timeline/format";
import { Empty, ErrorBanner, Loading, StudyStatusBadge, VideoStatusBadge } from "../common";
import { STUDY_STATUS_LABELS } from "../labels";
import { canUpload, useUser } from "../session";
import { ExportLinks } from "./ExportLinks";
import { ImageUpload } from "./ImageUpload";
import { StudyMembers } from "./StudyMembers";
import { getStudyWithMembers, resumeVideo, setStudyStatusWithMembers } from "./studyApi";
import { studyDocumentTitle, studyName } from "./studyNames";
import { VideoUpload } from "./VideoUpload";
import { applyProgress, isFinal } from "./liveProgress";
import { useVideoSocket } from "../video/useVideoSocket";
import "./studies.css";

/** While a video of the study is queued or processing, its row refreshes at this period (ms); between, each active
 * row follows its video's progress websocket (LiveVideo), which shows the first result as soon as it is stored. */
const POLL_MS = 3_000;

/** Follows one active video's progress websocket for its row; renders nothing. */
function LiveVideo({ videoId, onMessage }: { videoId: number; onMessage: (message: ProgressMessage) => void }) {
  useVideoSocket(videoId, true, onMessage);
  return null;
}

const isActive = (v: Video) => v.status === "queued" || v.status === "processing";

export function StudyPage() {
  const id = Number(useParams().id);
  const user = useUser();
  const navigate = useNavigate();
  const study = useApi((signal) => getStudyWithMembers(id, signal), [id]);
  const videos = useApi((signal) => listStudyVideos(id, signal), [id]);
  const images = useApi((signal) => listStudyImages(id, signal), [id]);
  const [statusError, setStatusError] = useState<string | null>(null);
  const [videoError, setVideoError] = useState<string | null>(null);

  const title = study.data ? studyDocumentTitle(study.data) : null;
  useEffect(() => {
    if (title) document.title = title;
  }, [title]);

  const anyActive = (videos.data?.results ?? []).some(isActive);
  const reloadVideos = videos.reload;
  useEffect(() => {
    if (!anyActive) return;
    const timer = setInterval(reloadVideos, POLL_MS);
    return () => clearInterval(timer);
  }, [anyActive, reloadVideos]);

  const onProgress = (message: ProgressMessage) => {
    videos.setData((page) => (page ? { ...page, results: page.results.map((v) => applyProgress(v, message)) } : page));
    if (isFinal(message)) reloadVideos();
  };

  const addVideo = (video: Video) =>
    videos.setData((page) => (page ? { ...page, count: page.count + 1, results: [video, ...page.results.filter((v) => v.id !== video.id)] } : page));

  const resume = (video: Video) => {
    setVideoError(null);
    resumeVideo(video.id).then(
      () => videos.reload(),
      (reason: unknown) => setVideoError(`${video.original_name}: ${toApiError(reason).detail}`),
    );
  };

  if (study.error) return <ErrorBanner error={study.error} onRetry={study.reload} />;
  if (!study.data) return <Loading what="study" />;
  const s = study.data;
  const closed = s.status === "closed";
  const mayUpload = canUpload(user.role) && !closed;

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <div className="crumbs" data-testid="breadcrumbs">
            <Link to="/app/">Studies</Link> / {studyName(s)}
          </div>
          <h1>
            {s.patient_pseudo_id} <span className="muted">· {s.date}</span> <StudyStatusBadge status={s.status} />
          </h1>
          {canUpload(user.role) && (
            <label className="muted small">
              Status{" "}
              <select
                data-testid="study-status"
                value={s.status}
                disabled={closed && user.role !== "admin"}
                title={closed && user.role !== "admin" ? "Signed off: only an admin can reopen it" : undefined}
                onChange={(e) => {
                  const status = e.target.value as StudyStatus;
                  const signOff = "Close this study? Closing signs it off: verdicts, corrections and uploads are locked until an admin reopens it.";
                  if (status === "closed" && !window.confirm(signOff)) return;
                  setStatusError(null);
                  setStudyStatusWithMembers(id, status).then(
                    (updated) => study.setData(() => updated),
                    (reason: unknown) => setStatusError(toApiError(reason).detail),
                  );
                }}
              >
                {(Object.keys(STUDY_STATUS_LABELS) as StudyStatus[]).map((value) => (
                  <option key={value} value={value}>
                    {STUDY_STATUS_LABELS[value]}
                  </option>
                ))}
              </select>
            </label>
          )}
          {statusError && <ErrorBanner error={statusError} />}
          {s.indication && <p className="muted">{s.indication}</p>}
          <StudyMembers study={s} canAssign={user.role === "admin"} onChanged={(updated) => study.setData(() => updated)} />
        </div>
        <div className="study-actions">
          <Link
            to={`/app/studies/${id}/report`}
            className={`button${closed ? " primary" : ""}`}
            data-testid="report-link"
            title={closed ? "The signed-off report: events, verdicts, thumbnails; prints cleanly" : "A draft until the study is closed"}
          >
            {closed ? "Open the sign-off report" : "Report (draft)"}
          </Link>
          <ExportLinks studyId={id} />
        </div>
      </div>
      {closed && (
        <p className="notice small" data-testid="closed-notice">
          Signed off: verdicts, corrections and uploads are locked{user.role === "admin" ? "; set the status back to reopen it." : " until an admin reopens it."}
        </p>
      )}

      <div className="section-head">
        <h2>Videos</h2>
        {mayUpload && <VideoUpload studyId={id} onUploaded={addVideo} />}
      </div>
      {videos.error && <ErrorBanner error={videos.error} onRetry={videos.reload} />}
      {videoError && <ErrorBanner error={videoError} />}
      {(videos.data?.results ?? []).filter(isActive).map((v) => (
        <LiveVideo key={v.id} videoId={v.id} onMessage={onProgress} />
      ))}
      {videos.data && videos.data.results.length === 0 && <Empty>No videos in this study yet.</Empty>}
      {videos.data && videos.data.results.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th>Video</th>
              <th>Status</th>
              <th>Progress</th>
              <th className="num">Duration</th>
              <th className="num">Events</th>
              <th className="num">Pending</th>
              <th>Model</th>
            </tr>
          </thead>
          <tbody>
            {videos.data.results.map((v) => (
              <tr key={v.id} data-testid="video-row" data-video-id={v.id} className="clickable" onClick={() => void navigate(`/app/videos/${v.id}`)}>
                <td>
                  <Link to={`/app/videos/${v.id}`} onClick={(e) => e.stopPropagation()}>
                    {v.original_name}
                  </Link>
                </td>
                <td>
                  <VideoStatusBadge status={v.status} />
                  {v.status === "failed" && v.error && <div className="error small">{v.error}</div>}
                  {v.status === "cancelled" && mayUpload && (
                    <button
                      type="button"
                      className="link small"
                      data-testid="video-resume"
                      title="Queue it again; it continues after its last processed frame"
                      onClick={(e) => {
                        e.stopPropagation();
                        resume(v);
                      }}
                    >
                      Resume
                    </button>
                  )}
                </td>
                <td className="progress-cell">
                  {v.frame_count > 0 ? (
                    <>
                      <progress value={v.frames_done} max={v.frame_count} />
                      <span className="small muted">
                        {v.frames_done} / {v.frame_count}
                      </span>
                    </>
                  ) : (
                    <span className="muted">–</span>
                  )}
                </td>
                <td className="num">{formatTime(v.duration_s)}</td>
                <td className="num">{v.events}</td>
                <td className={`num${v.pending_events > 0 ? " pending" : ""}`}>{v.pending_events}</td>
                <td className="small muted">{v.model_version ?? "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <div className="section-head">
        <h2>Still images</h2>
        {mayUpload && <ImageUpload studyId={id} onAdded={() => images.reload()} />}
      </div>
      {images.error && <ErrorBanner error={images.error} onRetry={images.reload} />}
      {images.data && images.data.results.length === 0 && <Empty>No still images in this study.</Empty>}
      {images.data && images.data.results.length > 0 && (
        <ul className="thumbs">
          {images.data.results.map((image) => (
            <li key={image.id} data-testid="image-card" data-image-id={image.id}>
              <Link to={`/app/images/${image.id}/edit`} title="Edit the mask">
                <img src={stillImageUrl(image.id, 320)} alt={image.original_name} loading="lazy" width={160} height={Math.round((160 * image.height) / Math.max(1, image.width))} />
              </Link>
              <div className="thumb-meta">
                <span className="ellipsis" title={image.original_name}>
                  {image.original_name}
                </span>
                <span>
                  {image.has_ground_truth ? <span className="badge gt">GT</span> : <span className="badge verdict-none">No GT</span>}{" "}
                  <span className="small muted">{image.revisions} rev.</span>
                </span>
                <Link to={`/app/images/${image.id}/edit`} data-testid="edit-image-link">
                  Edit mask
                </Link>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

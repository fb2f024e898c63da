import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { getStudy, listStudyImages, listStudyVideos, setStudyStatus, stillImageUrl } from "../../api/client";
import { toApiError, useApi } from "../../api/useApi";
import type { StudyStatus, Video } from "../../api/types";
import { formatTime } from "../../timeline/format";
import { Empty, ErrorBanner, Loading, StudyStatusBadge, VideoStatusBadge } from "../common";
import { STUDY_STATUS_LABELS } from "../labels";
import { canUpload, useUser } from "../session";
import { VideoUpload } from "./VideoUpload";

/** While a video of the study is queued or processing, its row refreshes at this period (ms). */
const POLL_MS = 3_000;

const isActive = (v: Video) => v.status === "queued" || v.status === "processing";

export function StudyPage() {
  const id = Number(useParams().id);
  const user = useUser();
  const navigate = useNavigate();
  const study = useApi((signal) => getStudy(id, signal), [id]);
  const videos = useApi((signal) => listStudyVideos(id, signal), [id]);
  const images = useApi((signal) => listStudyImages(id, signal), [id]);
  const [statusError, setStatusError] = useState<string | null>(null);

  const anyActive = (videos.data?.results ?? []).some(isActive);
  const reloadVideos = videos.reload;
  useEffect(() => {
    if (!anyActive) return;
    const timer = setInterval(reloadVideos, POLL_MS);
    return () => clearInterval(timer);
  }, [anyActive, reloadVideos]);

  const addVideo = (video: Video) =>
    videos.setData((page) => (page ? { ...page, count: page.count + 1, results: [video, ...page.results.filter((v) => v.id !== video.id)] } : page));

  if (study.error) return <ErrorBanner error={study.error} onRetry={study.reload} />;
  if (!study.data) return <Loading what="study" />;
  const s = study.data;

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <div className="crumbs">
            <Link to="/app/">Studies</Link> /
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
                onChange={(e) => {
                  const status = e.target.value as StudyStatus;
                  const signOff = "Close this study? Closing signs it off: verdicts, corrections and uploads are locked until an admin reopens it.";
                  if (status === "closed" && !window.confirm(signOff)) return;
                  setStatusError(null);
                  setStudyStatus(id, status).then(
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
        </div>
      </div>

      <div className="section-head">
        <h2>Videos</h2>
        {canUpload(user.role) && <VideoUpload studyId={id} onUploaded={addVideo} />}
      </div>
      {videos.error && <ErrorBanner error={videos.error} onRetry={videos.reload} />}
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

import { useEffect } from "react";
import { Link, useParams } from "react-router";
import { useApi } from "../../api/useApi";
import { formatTime } from "../../timeline/format";
import { ErrorBanner, formatDateTime, Loading } from "../common";
import { isBoolean, usePersistentState } from "../usePersistentState";
import { ROLE_LABELS, STUDY_STATUS_LABELS, VIDEO_STATUS_LABELS } from "../labels";
import { getStudyReport, type ReportEvent, type ReportVideo, type StudyReport } from "../studies/studyApi";
import { studyDocumentTitle, studyName } from "../studies/studyNames";
import { EventThumbnail } from "./EventThumbnail";
import { eventSpan, namesLine, reportState, summaryLine, verdictWord } from "./reportModel";
import "./report.css";

/** The study's sign-off report: a white sheet on screen, and what the browser prints (or saves as PDF). */
export function StudyReportPage() {
  const id = Number(useParams().id);
  const report = useApi((signal) => getStudyReport(id, signal), [id]);
  // On paper each event gets its own page by default (a large thumbnail per finding); compact packs them.
  const [compact, setCompact] = usePersistentState("polypscope.report.compact", false, isBoolean);
  const title = report.data ? studyDocumentTitle(report.data.study, "Report") : null;
  useEffect(() => {
    if (title) document.title = title;
  }, [title]);

  if (report.error) return <ErrorBanner error={report.error} onRetry={report.reload} />;
  if (!report.data) return <Loading what="report" />;
  const r = report.data;
  const state = reportState(r);

  return (
    <section className="report-page">
      <div className="report-toolbar">
        <div className="crumbs" data-testid="breadcrumbs">
          <Link to="/app/">Studies</Link> / <Link to={`/app/studies/${r.study.id}`}>{studyName(r.study)}</Link> / Report
        </div>
        <span className="spacer" />
        <label className="small toggle" title="Printed: every event on its own page, or several a page">
          <input type="checkbox" data-testid="report-compact" checked={compact} onChange={(e) => setCompact(e.target.checked)} />
          Several events a page
        </label>
        <span className="muted small">To keep a PDF, print it and choose “Save as PDF”.</span>
        <button type="button" className="primary" data-testid="report-print" onClick={() => window.print()}>
          Print / Save as PDF
        </button>
      </div>
      <article className={`report-sheet${compact ? " compact" : ""}`} data-testid="report-page" data-state={state}>
        <ReportHeader report={r} state={state} />
        {r.videos.length === 0 && <p className="report-empty">No video in this study.</p>}
        {r.videos.map((video) => (
          <VideoSection key={video.id} video={video} />
        ))}
        {r.summary.images > 0 && (
          <section className="report-images">
            <h2>Still images</h2>
            <p>
              {r.summary.images} image{r.summary.images === 1 ? "" : "s"}: {r.summary.images_with_ground_truth} with imported ground truth,{" "}
              {r.summary.images_corrected} corrected by an annotator.
            </p>
          </section>
        )}
        <footer className="report-footer">
          Polypscope · {studyName(r.study)} · generated {formatDateTime(r.generated_at)} · the model's events are an aid; the verdicts are the reviewers'.
        </footer>
      </article>
    </section>
  );
}

function ReportHeader({ report: r, state }: { report: StudyReport; state: ReturnType<typeof reportState> }) {
  return (
    <header className="report-head">
      <div className="report-title">
        <h1>Colonoscopy study report</h1>
        {state === "draft" ? (
          <span className="report-stamp draft" data-testid="report-signed-off">
            Draft: not signed off ({STUDY_STATUS_LABELS[r.study.status].toLowerCase()})
          </span>
        ) : (
          <span className="report-stamp signed" data-testid="report-signed-off">
            Signed off{r.signed_off?.by ? ` by ${r.signed_off.by}` : ""}
            {r.signed_off?.at ? ` on ${formatDateTime(r.signed_off.at)}` : ""}
          </span>
        )}
      </div>
      <dl className="report-facts">
        <dt>Patient (pseudonym)</dt>
        <dd data-testid="report-patient">{r.study.patient_pseudo_id}</dd>
        <dt>Procedure date</dt>
        <dd>{r.study.date}</dd>
        <dt>Indication</dt>
        <dd>{r.study.indication || "–"}</dd>
        <dt>Status</dt>
        <dd>{STUDY_STATUS_LABELS[r.study.status]}</dd>
        <dt>Study owner</dt>
        <dd>{r.study.owner}</dd>
        <dt>Reviewer(s)</dt>
        <dd data-testid="report-reviewers">{namesLine(r.reviewers)}</dd>
        <dt>Assigned</dt>
        <dd>{r.members.length > 0 ? r.members.map((m) => `${m.username} (${ROLE_LABELS[m.role].toLowerCase()})`).join(", ") : "–"}</dd>
        <dt>Model version(s)</dt>
        <dd data-testid="report-models">
          {r.model_versions.length > 0
            ? r.model_versions.map((m) => `${m.version} (${[m.videos && `${m.videos} video${m.videos === 1 ? "" : "s"}`, m.images && `${m.images} image${m.images === 1 ? "" : "s"}`].filter(Boolean).join(", ")})`).join("; ")
            : "–"}
        </dd>
      </dl>
      <p className="report-summary" data-testid="report-summary">
        {summaryLine(r.summary)}
      </p>
      {state === "signed_off_with_pending" && (
        <p className="report-warning">
          {r.summary.pending} event{r.summary.pending === 1 ? " was" : "s were"} signed off without a verdict.
        </p>
      )}
    </header>
  );
}

function VideoSection({ video }: { video: ReportVideo }) {
  return (
    <section className="report-video" data-testid="report-video" data-video-id={video.id}>
      <h2>
        {video.original_name} <span className="report-muted">· {formatTime(video.duration_s)} · {video.frame_count} frames</span>
      </h2>
      <p className="report-muted small">
        {VIDEO_STATUS_LABELS[video.status]}
        {video.model_version && <> · segmented by {video.model_version}</>}
        {video.finished_at && <> · processed {formatDateTime(video.finished_at)}</>}
        {" · "}
        {video.events.length} polyp event{video.events.length === 1 ? "" : "s"}
      </p>
      {video.status !== "done" && <p className="report-warning">Processing did not finish ({VIDEO_STATUS_LABELS[video.status].toLowerCase()}): its events may be incomplete.</p>}
      {video.events.length === 0 && video.status === "done" && <p className="report-empty">The model flagged no polyp event in this video.</p>}
      <ol className="report-events">
        {video.events.map((event, i) => (
          <EventCard key={event.id} event={event} n={i + 1} total={video.events.length} videoId={video.id} />
        ))}
      </ol>
    </section>
  );
}

function EventCard({ event, n, total, videoId }: { event: ReportEvent; n: number; total: number; videoId: number }) {
  const v = event.verdict;
  return (
    <li className="report-event" data-testid="report-event" data-event-id={event.id} data-verdict={v?.value ?? ""}>
      <figure className="report-figure">
        <EventThumbnail src={event.thumbnail} mask={event.mask} alt={`Peak frame ${event.peak_index} of event ${n}`} />
        <figcaption>Peak frame {event.peak_index}; the model's mask outlined</figcaption>
      </figure>
      <div className="report-event-body">
        <h3>
          Event {n} of {total} <span className={`report-verdict ${v?.value ?? "pending"}`}>{verdictWord(v?.value ?? null)}</span>
        </h3>
        <p className="small">{eventSpan(event)}</p>
        <p className="small report-muted">Peak polyp score {event.peak_score.toFixed(2)}</p>
        {v && (
          <p className="small">
            By {v.reviewer}, {formatDateTime(v.created_at)}
            {event.earlier_verdicts > 0 && (
              <span className="report-muted">
                {" "}
                (replacing {event.earlier_verdicts} earlier verdict{event.earlier_verdicts === 1 ? "" : "s"})
              </span>
            )}
          </p>
        )}
        {v?.note ? <blockquote className="report-note">{v.note}</blockquote> : v && <p className="small report-muted">No note.</p>}
        <Link className="report-screen-only small" to={`/app/videos/${videoId}?event=${event.id}`}>
          Open in the review
        </Link>
      </div>
    </li>
  );
}

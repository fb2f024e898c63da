import { Link, useSearchParams } from "react-router";
import { frameImageUrl, listReviewQueue } from "../../api/client";
import { useApi } from "../../api/useApi";
import { formatScore, formatTime } from "../../timeline/format";
import { peakTime } from "../../timeline/navigation";
import { Empty, ErrorBanner, Loading, Pager, pageFromSearch } from "../common";
import { eventUrl } from "../video/nextVideo";

/** Link to the video page with the event selected, opened at its peak frame (the one the thumbnail shows). */
export const eventLink = (event: { video: number; id: number; peak_index: number }): string => eventUrl(event.video, event.id, event.peak_index);

export function ReviewQueuePage() {
  const [search, setSearch] = useSearchParams();
  const page = pageFromSearch(search);
  const queue = useApi((signal) => listReviewQueue(page, signal), [page]);

  return (
    <section className="page">
      <div className="page-head">
        <h1>Review queue</h1>
        {queue.data && <span className="muted">{queue.data.count} events awaiting a verdict, oldest video first</span>}
      </div>
      {queue.error && <ErrorBanner error={queue.error} onRetry={queue.reload} />}
      {queue.loading && !queue.data && <Loading what="queue" />}
      {queue.data && queue.data.results.length === 0 && <Empty>Nothing to review. Every event has a verdict.</Empty>}
      {queue.data && queue.data.results.length > 0 && (
        <>
          <table className="grid">
            <thead>
              <tr>
                <th />
                <th>Patient</th>
                <th>Video file</th>
                <th>Event</th>
                <th>Peak at</th>
                <th className="num">Peak score</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {queue.data.results.map((event) => (
                <tr key={event.id} data-testid="review-row" data-event-id={event.id}>
                  <td className="thumb-cell">
                    <Link to={eventLink(event)}>
                      <img src={frameImageUrl(event.video, event.peak_index, 160)} alt={`Peak of the event at ${formatTime(peakTime(event))}`} loading="lazy" width={80} />
                    </Link>
                  </td>
                  <td>
                    <Link to={`/app/studies/${event.study}`}>{event.patient_pseudo_id}</Link>
                  </td>
                  <td className="ellipsis" title={event.video_name}>
                    {event.video_name}
                  </td>
                  <td>
                    {formatTime(event.start_s)} – {formatTime(event.end_s)}
                  </td>
                  <td>{formatTime(peakTime(event))}</td>
                  <td className="num">{formatScore(event.peak_score)}</td>
                  <td>
                    <Link to={eventLink(event)} data-testid="review-link" title="Open the event at its peak frame">
                      Review →
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={page} count={queue.data.count} onPage={(p) => setSearch(p > 1 ? { page: String(p) } : {})} />
        </>
      )}
    </section>
  );
}

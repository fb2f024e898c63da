import { Link, useSearchParams } from "react-router";
import { frameImageUrl, listReviewQueue } from "../../api/client";
import { useApi } from "../../api/useApi";
import { formatScore, formatTime } from "../../timeline/format";
import { Empty, ErrorBanner, Loading, Pager, pageFromSearch } from "../common";

/** Link to the video page with the event selected. */
export const eventLink = (video: number, event: number): string => `/app/videos/${video}?event=${event}`;

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
                <th>Video</th>
                <th>Event</th>
                <th className="num">Peak score</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {queue.data.results.map((event) => (
                <tr key={event.id} data-testid="review-row" data-event-id={event.id}>
                  <td className="thumb-cell">
                    <Link to={eventLink(event.video, event.id)}>
                      <img src={frameImageUrl(event.video, event.peak_index, 160)} alt="" loading="lazy" width={80} />
                    </Link>
                  </td>
                  <td>
                    <Link to={`/app/studies/${event.study}`}>{event.patient_pseudo_id}</Link>
                  </td>
                  <td className="ellipsis">{event.video_name}</td>
                  <td>
                    {formatTime(event.start_s)} – {formatTime(event.end_s)}
                  </td>
                  <td className="num">{formatScore(event.peak_score)}</td>
                  <td>
                    <Link to={eventLink(event.video, event.id)} data-testid="review-link">
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

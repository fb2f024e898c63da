import { Link, useSearchParams } from "react-router";
import { frameImageUrl, listCorrectionQueue, stillImageUrl } from "../../api/client";
import { useApi } from "../../api/useApi";
import { formatScore } from "../../timeline/format";
import { Empty, ErrorBanner, Loading, Pager, pageFromSearch } from "../common";
import { REASON_LABELS } from "../labels";
import { correctionKey, correctionLink, correctionWhat } from "./corrections";

export function CorrectionQueuePage() {
  const [search, setSearch] = useSearchParams();
  const page = pageFromSearch(search);
  const queue = useApi((signal) => listCorrectionQueue(page, signal), [page]);

  return (
    <section className="page">
      <div className="page-head">
        <h1>Correction queue</h1>
        {queue.data && <span className="muted">{queue.data.count} masks to check or correct</span>}
      </div>
      {queue.error && <ErrorBanner error={queue.error} onRetry={queue.reload} />}
      {queue.loading && !queue.data && <Loading what="queue" />}
      {queue.data && queue.data.results.length === 0 && <Empty>Nothing to correct.</Empty>}
      {queue.data && queue.data.results.length > 0 && (
        <>
          <table className="grid">
            <thead>
              <tr>
                <th />
                <th>What</th>
                <th>Reason</th>
                <th className="num">Score</th>
                <th>Patient</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {queue.data.results.map((item) => {
                const link = correctionLink(item);
                const thumb =
                  item.kind === "frame" && item.video !== null && item.frame !== null
                    ? frameImageUrl(item.video, item.frame, 160)
                    : item.image !== null
                      ? stillImageUrl(item.image, 160)
                      : null;
                return (
                  <tr key={correctionKey(item)} data-testid="correction-row" data-kind={item.kind}>
                    <td className="thumb-cell">{thumb && <img src={thumb} alt="" loading="lazy" width={80} />}</td>
                    <td>{correctionWhat(item)}</td>
                    <td>
                      <span className={`badge reason-${item.reason}`}>{REASON_LABELS[item.reason]}</span>
                    </td>
                    <td className="num">{formatScore(item.score)}</td>
                    <td>
                      <Link to={`/app/studies/${item.study}`}>{item.patient_pseudo_id || `Study ${item.study}`}</Link>
                    </td>
                    <td>
                      {link && (
                        <Link to={link} data-testid="correction-link">
                          Edit mask →
                        </Link>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <Pager page={page} count={queue.data.count} onPage={(p) => setSearch(p > 1 ? { page: String(p) } : {})} />
        </>
      )}
    </section>
  );
}

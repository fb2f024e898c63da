import { Link } from "react-router";
import type { Page, TrainingRun } from "../../api/types";
import { Empty, Pager, formatDateTime } from "../common";
import { GateBadge, RunProgressBar, RunStatusBadge } from "./RunBits";

export function TrainingRunList({ runs, page, onPage }: { runs: Page<TrainingRun>; page: number; onPage: (page: number) => void }) {
  if (runs.count === 0) return <Empty>No fine-tuning runs yet.</Empty>;
  return (
    <>
      <table className="grid" data-testid="run-list">
        <thead>
          <tr>
            <th>Run</th>
            <th>Status</th>
            <th>Base</th>
            <th>Progress</th>
            <th>Gate</th>
            <th>Started by</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {runs.results.map((run) => (
            <tr key={run.id} data-testid="run-row" data-run-id={run.id} data-status={run.status}>
              <td>
                <Link to={`/app/training-runs/${run.id}`} data-testid="run-link">
                  Run #{run.id}
                </Link>
              </td>
              <td>
                <RunStatusBadge status={run.status} />
              </td>
              <td>{run.base_model.version}</td>
              <td className="progress-cell">
                <RunProgressBar run={run} compact />
              </td>
              <td>{run.status === "succeeded" || run.gate ? <GateBadge gate={run.gate} /> : <span className="muted">–</span>}</td>
              <td>{run.started_by}</td>
              <td className="small">{formatDateTime(run.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager page={page} count={runs.count} onPage={onPage} />
    </>
  );
}

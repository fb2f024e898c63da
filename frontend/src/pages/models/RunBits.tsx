// Small pieces the models page and the training run page share: status badge, progress bar, gate badge.
import type { GateResult, TrainingRun, TrainingRunStatus } from "../../api/types";
import { progressText, runFraction, runStatusView } from "./runStatus";

export function RunStatusBadge({ status }: { status: TrainingRunStatus }) {
  const { label, tone } = runStatusView(status);
  return (
    <span className={`badge tone-${tone}`} data-testid="run-status" data-status={status}>
      {label}
    </span>
  );
}

export function RunProgressBar({ run, compact = false }: { run: Pick<TrainingRun, "status" | "progress">; compact?: boolean }) {
  const fraction = runFraction(run.status, run.progress);
  const percent = Math.round(fraction * 100);
  return (
    <div className={compact ? "run-progress compact" : "run-progress"}>
      <div
        className="progress-bar"
        data-testid="run-progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        data-status={run.status}
      >
        <div className="progress-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <span className="small muted">
        {percent}%{compact ? "" : ` · ${progressText(run.status, run.progress)}`}
      </span>
    </div>
  );
}

/** Passed / failed / not gated; a button when `onOpen` is given (opens the report). */
export function GateBadge({ gate, onOpen }: { gate: GateResult | null; onOpen?: () => void }) {
  if (!gate) return <span className="badge tone-muted">Not gated</span>;
  const badge = (
    <span className={`badge ${gate.passed ? "tone-ok" : "tone-bad"}`} data-testid="gate-badge" data-passed={gate.passed}>
      Gate {gate.passed ? "passed" : "failed"}
    </span>
  );
  return onOpen ? (
    <button type="button" className="link" onClick={onOpen} title="Open the gate report">
      {badge}
    </button>
  ) : (
    badge
  );
}

import { useCallback, useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { cancelTrainingRun, getTrainingRun, listModels, trainingRunSocketUrl } from "../../api/client";
import { toApiError, useApi } from "../../api/useApi";
import { useSocket } from "../../api/useSocket";
import { parseRunMessage } from "../../api/trainingSocket";
import type { TrainingRun, TrainingSnapshot } from "../../api/types";
import { ErrorBanner, Loading, formatDateTime } from "../common";
import { GateReportView } from "./GateReportView";
import { LinePlot } from "./LinePlot";
import { epochSeries } from "./plot";
import { PromoteDialog } from "./PromoteDialog";
import { RunProgressBar, RunStatusBadge } from "./RunBits";
import { isCancellable, isFinished } from "./runStatus";

/** How often the page re-reads the run while its websocket is closed (API.md: fall back to polling). */
const POLL_MS = 3_000;

export function TrainingRunPage() {
  const id = Number(useParams().id);
  const run = useApi((signal) => getTrainingRun(id, signal), [id]);
  const [actionError, setActionError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [promoting, setPromoting] = useState(false);

  const status = run.data?.status ?? null;
  const live = status !== null && !isFinished(status);
  const { setData } = run;
  const onRun = useCallback((next: TrainingRun) => setData(() => next), [setData]);
  const socket = useSocket(trainingRunSocketUrl(id, window.location), parseRunMessage, live, onRun);

  // Poll while the socket is down (or refused) and the run can still change.
  const reload = run.reload;
  useEffect(() => {
    if (!live || socket.connected) return;
    const timer = setInterval(reload, POLL_MS);
    return () => clearInterval(timer);
  }, [live, socket.connected, reload]);

  const candidateId = run.data?.candidate ?? null;
  const models = useApi((signal) => (candidateId === null ? Promise.resolve([]) : listModels(signal)), [candidateId]);
  const candidate = models.data?.find((m) => m.id === candidateId) ?? null;

  if (run.error && !run.data) return <ErrorBanner error={run.error} onRetry={run.reload} />;
  if (!run.data) return <Loading what="training run" />;
  const data = run.data;
  const series = epochSeries(data.history);

  const cancel = async () => {
    if (!window.confirm(`Cancel training run #${data.id}?`)) return;
    setCancelling(true);
    setActionError(null);
    try {
      onRun(await cancelTrainingRun(data.id));
    } catch (reason) {
      setActionError(toApiError(reason).detail);
      run.reload();
    } finally {
      setCancelling(false);
    }
  };

  return (
    <section className="page training-run" data-testid="training-run" data-status={data.status}>
      <div className="crumbs">
        <Link to="/app/models">Models</Link> / run #{data.id}
      </div>
      <div className="page-head">
        <h1>
          Fine-tuning run #{data.id} <RunStatusBadge status={data.status} />
        </h1>
        {isCancellable(data.status) && (
          <button type="button" data-testid="run-cancel" disabled={cancelling} onClick={() => void cancel()}>
            {cancelling ? "Cancelling…" : "Cancel run"}
          </button>
        )}
      </div>
      {actionError && <ErrorBanner error={actionError} />}
      {run.error && <ErrorBanner error={`Could not refresh: ${run.error.detail}`} onRetry={run.reload} />}
      {data.error && (
        <p className="error" data-testid="run-error">
          {data.error}
        </p>
      )}

      <div className="card">
        <p className="small">
          From <strong>{data.base_model.version}</strong>, started by {data.started_by} · created {formatDateTime(data.created_at)}
          {data.started_at && <> · started {formatDateTime(data.started_at)}</>}
          {data.finished_at && <> · finished {formatDateTime(data.finished_at)}</>}
          {live && <span className="muted"> · {socket.connected ? "live" : "live updates connecting… (refreshing every 3 s)"}</span>}
        </p>
        <p className="small muted">
          {data.config.epochs} epochs · lr {data.config.lr} · {data.config.size} px · batch {data.config.batch_size} · replay ratio {data.config.replay_ratio}
        </p>
        <RunProgressBar run={data} />
        {data.progress.loss !== null && data.status === "running" && (
          <p className="small muted">
            Current loss {data.progress.loss.toFixed(4)}
            {data.progress.holdout_dice !== null && <> · last holdout Dice {data.progress.holdout_dice.toFixed(4)}</>}
          </p>
        )}
        <div className="plots">
          <LinePlot title="Training loss" points={series.loss} epochs={data.config.epochs} range={{ includeZero: true }} className="series-loss" testId="loss-plot" />
          <LinePlot title="Holdout Dice" points={series.dice} epochs={data.config.epochs} range={{ floor: 0, ceiling: 1 }} className="series-dice" testId="dice-plot" />
        </div>
      </div>

      <h2 className="section-head">Snapshot</h2>
      {data.snapshot ? <SnapshotView snapshot={data.snapshot} /> : <p className="muted">Not taken yet.</p>}

      <h2 className="section-head">Promotion gate</h2>
      {data.gate ? (
        <>
          <GateReportView report={data.gate.report} />
          {candidateId !== null && (
            <div className="promote-bar">
              {models.error && <ErrorBanner error={models.error} onRetry={models.reload} />}
              {candidate?.is_active ? (
                <span className="badge active">Active</span>
              ) : (
                <button type="button" className="primary" data-testid="run-promote" disabled={!candidate} onClick={() => setPromoting(true)}>
                  {data.gate.passed ? "Promote" : "Promote anyway…"} {candidate?.version ?? ""}
                </button>
              )}
            </div>
          )}
        </>
      ) : (
        <p className="muted">{data.status === "evaluating" ? "Evaluating the candidate on the holdout…" : isFinished(data.status) ? "Not gated." : "Runs once training ends."}</p>
      )}
      {promoting && candidate && (
        <PromoteDialog
          model={candidate}
          rollback={false}
          onClose={() => setPromoting(false)}
          onDone={() => {
            setPromoting(false);
            models.reload();
          }}
        />
      )}
    </section>
  );
}

function SnapshotView({ snapshot }: { snapshot: TrainingSnapshot }) {
  const counts: [string, number][] = [
    ["Examples", snapshot.examples],
    ["Train", snapshot.train_examples],
    ["Holdout", snapshot.holdout_examples],
    ["Hard negatives", snapshot.hard_negatives],
    ["Replay pool (base training set)", snapshot.replay_examples],
  ];
  return (
    <div className="card snapshot" data-testid="run-snapshot">
      <p className="small">
        Snapshot #{snapshot.id} <span className="mono muted" title={snapshot.sha256}>{snapshot.sha256.slice(0, 12)}</span>
        {snapshot.excluded_studies.length > 0 && <> · studies left out: {snapshot.excluded_studies.map((s) => `#${s}`).join(", ")}</>}
      </p>
      <dl className="counts">
        {counts.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value.toLocaleString("en-US")}</dd>
          </div>
        ))}
      </dl>
      <p className="small">
        <strong>Train patients ({snapshot.train_patients.length}):</strong> {snapshot.train_patients.join(", ") || "–"}
      </p>
      <p className="small">
        <strong>Holdout patients ({snapshot.holdout_patients.length}):</strong> {snapshot.holdout_patients.join(", ") || "–"}
      </p>
    </div>
  );
}

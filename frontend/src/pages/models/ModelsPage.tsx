import { Fragment, useEffect, useState } from "react";
import { Link, useNavigate } from "react-router";
import { checkpointUrl, listModels, listTrainingRuns } from "../../api/client";
import { useApi } from "../../api/useApi";
import type { ModelVersion } from "../../api/types";
import { Empty, ErrorBanner, Loading, formatDateTime } from "../common";
import { FineTuneForm } from "./FineTuneForm";
import { formatScore, versionScores } from "./gate";
import { GateReportView } from "./GateReportView";
import { formatMetric, metricColumns, metricLabel } from "./metrics";
import { PromoteDialog } from "./PromoteDialog";
import { GateBadge } from "./RunBits";
import { isFinished } from "./runStatus";
import { TrainingRunList } from "./TrainingRunList";

/** Runs in progress are re-read this often on the list (the run page itself follows its websocket). */
const RUN_LIST_REFRESH_MS = 5_000;

export function ModelsPage() {
  const navigate = useNavigate();
  const models = useApi((signal) => listModels(signal), []);
  const [runsPage, setRunsPage] = useState(1);
  const runs = useApi((signal) => listTrainingRuns(runsPage, signal), [runsPage]);
  const [fineTuning, setFineTuning] = useState(false);
  const [open, setOpen] = useState<number | null>(null);
  const [report, setReport] = useState<ModelVersion | null>(null);
  const [promoting, setPromoting] = useState<ModelVersion | null>(null);

  const anyRunning = runs.data?.results.some((run) => !isFinished(run.status)) ?? false;
  const reloadRuns = runs.reload;
  useEffect(() => {
    if (!anyRunning) return;
    const timer = setInterval(reloadRuns, RUN_LIST_REFRESH_MS);
    return () => clearInterval(timer);
  }, [anyRunning, reloadRuns]);

  if (models.error) return <ErrorBanner error={models.error} onRetry={models.reload} />;
  if (!models.data) return <Loading what="models" />;
  const columns = metricColumns(models.data);
  const active = models.data.find((m) => m.is_active) ?? null;

  return (
    <section className="page">
      <div className="page-head">
        <h1>Model versions</h1>
        <button type="button" data-testid="fine-tune-toggle" onClick={() => setFineTuning((f) => !f)}>
          {fineTuning ? "Close" : "Fine-tune"}
        </button>
      </div>
      {fineTuning && <FineTuneForm models={models.data} onStarted={(run) => void navigate(`/app/training-runs/${run.id}`)} />}

      <h2>Fine-tuning runs</h2>
      {runs.error ? <ErrorBanner error={runs.error} onRetry={runs.reload} /> : runs.data ? <TrainingRunList runs={runs.data} page={runsPage} onPage={setRunsPage} /> : <Loading what="runs" />}

      <h2 className="section-head">Versions</h2>
      {models.data.length === 0 ? (
        <Empty>No model versions registered.</Empty>
      ) : (
        <table className="grid models">
          <thead>
            <tr>
              <th>Version</th>
              <th />
              <th>Lineage</th>
              <th className="num">Dice</th>
              <th className="num">IoU</th>
              <th className="num">SE</th>
              <th className="num">SP</th>
              <th className="num" title="Dice of this version's predictions against people's first corrections of them">
                Corrections
              </th>
              <th>Gate</th>
              <th>Checkpoint</th>
              <th>Registered</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {models.data.map((model) => {
              const scores = versionScores(model);
              return (
                <Fragment key={model.id}>
                  <tr data-testid="model-row" data-model-id={model.id} data-active={model.is_active} className={model.is_active ? "active-row" : undefined}>
                    <td>
                      <strong>{model.version}</strong>
                    </td>
                    <td>{model.is_active && <span className="badge active" data-testid="model-active">Active</span>}</td>
                    <td className="small">
                      {model.parent ? <span>from {model.parent.version}</span> : <span className="muted">shipped</span>}
                      {model.training_run !== null && (
                        <>
                          {" · "}
                          <Link to={`/app/training-runs/${model.training_run}`}>run #{model.training_run}</Link>
                        </>
                      )}
                    </td>
                    {(["dice", "iou", "se", "sp"] as const).map((key) => (
                      <td key={key} className="num" title={scores?.source}>
                        {formatScore(scores?.[key])}
                      </td>
                    ))}
                    <td className="num" data-testid="model-corrections">
                      {model.corrections.count}
                      {model.corrections.mean_dice !== null && <span className="muted"> · {formatScore(model.corrections.mean_dice)}</span>}
                    </td>
                    <td>
                      <GateBadge gate={model.gate} onOpen={model.gate ? () => setReport(model) : undefined} />
                    </td>
                    <td className="small">
                      <a href={checkpointUrl(model.id)} download data-testid="model-checkpoint" title={`sha256 ${model.sha256}`}>
                        <span className="mono">{model.sha256.slice(0, 12)}</span> ↓
                      </a>
                    </td>
                    <td className="small">{formatDateTime(model.created_at)}</td>
                    <td className="actions">
                      {!model.is_active && (
                        <button type="button" data-testid="model-promote" onClick={() => setPromoting(model)}>
                          Make active
                        </button>
                      )}
                      <button type="button" className="link" onClick={() => setOpen(open === model.id ? null : model.id)}>
                        {open === model.id ? "Hide" : "Details"}
                      </button>
                    </td>
                  </tr>
                  {open === model.id && (
                    <tr>
                      <td colSpan={12}>
                        <ModelDetails model={model} columns={columns} scoreSource={scores?.source ?? null} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}

      {report?.gate && (
        <div className="modal-backdrop" onClick={() => setReport(null)}>
          <div className="modal wide" role="dialog" aria-label="Gate report" onClick={(e) => e.stopPropagation()}>
            <div className="modal-head">
              <h2>Gate report: {report.version}</h2>
              <button type="button" className="link" onClick={() => setReport(null)}>
                Close
              </button>
            </div>
            <GateReportView report={report.gate.report} />
          </div>
        </div>
      )}
      {promoting && (
        <PromoteDialog
          model={promoting}
          rollback={active !== null && promoting.created_at < active.created_at}
          onClose={() => setPromoting(null)}
          onDone={() => {
            setPromoting(null);
            models.reload();
          }}
        />
      )}
    </section>
  );
}

function ModelDetails({ model, columns, scoreSource }: { model: ModelVersion; columns: string[]; scoreSource: string | null }) {
  const keys = columns.filter((key) => key in model.metrics);
  return (
    <div className="model-details">
      <p className="small">
        {scoreSource && <>Scores: {scoreSource}. </>}
        {model.snapshot !== null && <>Trained on snapshot #{model.snapshot}. </>}
        {model.promoted_at && (
          <>
            Made active {formatDateTime(model.promoted_at)}
            {model.promoted_by ? ` by ${model.promoted_by}` : ""}.{" "}
          </>
        )}
        {model.override_reason && <>Gate overridden: “{model.override_reason}”</>}
      </p>
      {keys.length > 0 && (
        <table className="grid compact">
          <thead>
            <tr>
              {keys.map((key) => (
                <th key={key} className="num">
                  {metricLabel(key)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              {keys.map((key) => (
                <td key={key} className="num">
                  {formatMetric(model.metrics[key])}
                </td>
              ))}
            </tr>
          </tbody>
        </table>
      )}
      <pre className="config">{JSON.stringify(model.config, null, 2)}</pre>
    </div>
  );
}

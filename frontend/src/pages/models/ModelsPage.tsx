import { Fragment, useState } from "react";
import { listModels } from "../../api/client";
import { useApi } from "../../api/useApi";
import { Empty, ErrorBanner, Loading, formatDateTime } from "../common";
import { formatMetric, metricColumns, metricLabel } from "./metrics";

export function ModelsPage() {
  const models = useApi((signal) => listModels(signal), []);
  const [open, setOpen] = useState<number | null>(null);

  if (models.error) return <ErrorBanner error={models.error} onRetry={models.reload} />;
  if (!models.data) return <Loading what="models" />;
  const columns = metricColumns(models.data);

  return (
    <section className="page">
      <div className="page-head">
        <h1>Model versions</h1>
      </div>
      {models.data.length === 0 ? (
        <Empty>No model versions registered.</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>Version</th>
              <th />
              {columns.map((key) => (
                <th key={key} className="num">
                  {metricLabel(key)}
                </th>
              ))}
              <th>Checkpoint</th>
              <th>Registered</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {models.data.map((model) => (
              <Fragment key={model.id}>
                <tr data-testid="model-row" data-active={model.is_active} className={model.is_active ? "active-row" : undefined}>
                  <td>
                    <strong>{model.version}</strong>
                  </td>
                  <td>{model.is_active && <span className="badge active" data-testid="model-active">Active</span>}</td>
                  {columns.map((key) => (
                    <td key={key} className="num">
                      {formatMetric(model.metrics[key])}
                    </td>
                  ))}
                  <td className="mono small" title={model.sha256}>
                    {model.sha256.slice(0, 12)}
                  </td>
                  <td className="small">{formatDateTime(model.created_at)}</td>
                  <td>
                    <button type="button" className="link" onClick={() => setOpen(open === model.id ? null : model.id)}>
                      {open === model.id ? "Hide config" : "Config"}
                    </button>
                  </td>
                </tr>
                {open === model.id && (
                  <tr>
                    <td colSpan={columns.length + 5}>
                      <pre className="config">{JSON.stringify(model.config, null, 2)}</pre>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

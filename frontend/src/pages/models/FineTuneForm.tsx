import { useState, type FormEvent } from "react";
import { createTrainingRun, getTrainingDefaults, listAllStudies } from "../../api/client";
import { toApiError, useApi } from "../../api/useApi";
import type { ModelVersion, TrainingRun } from "../../api/types";
import { ErrorBanner, Loading } from "../common";
import { RUN_FIELDS, formFromDefaults, serverFieldErrors, validateRunForm, type RunFormErrors, type RunFormValues } from "./runForm";

/** Start a fine-tuning run from a base version (the active one unless chosen), with the server's defaults. */
export function FineTuneForm({ models, onStarted }: { models: ModelVersion[]; onStarted: (run: TrainingRun) => void }) {
  const defaults = useApi((signal) => getTrainingDefaults(signal), []);
  const studies = useApi((signal) => listAllStudies(signal), []);
  const active = models.find((m) => m.is_active) ?? null;
  const [base, setBase] = useState<number | null>(null);
  const [edited, setEdited] = useState<Partial<RunFormValues>>({});
  const [excluded, setExcluded] = useState<number[]>([]);
  const [errors, setErrors] = useState<RunFormErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (defaults.error) return <ErrorBanner error={defaults.error} onRetry={defaults.reload} />;
  if (!defaults.data) return <Loading what="training defaults" />;
  const values: RunFormValues = { ...formFromDefaults(defaults.data), ...edited };
  const baseId = base ?? active?.id ?? null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const checked = validateRunForm(values, baseId, excluded);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const run = await createTrainingRun(checked.body);
      setEdited({});
      setExcluded([]);
      onStarted(run);
    } catch (reason) {
      const apiError = toApiError(reason);
      setErrors(serverFieldErrors(apiError.body));
      setError(apiError.detail);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card fine-tune" data-testid="fine-tune-form" onSubmit={(e) => void submit(e)} noValidate>
      <div className="inline-form">
        <label>
          Base model
          <select data-testid="fine-tune-base" value={baseId ?? ""} onChange={(e) => setBase(e.target.value ? Number(e.target.value) : null)}>
            {baseId === null && <option value="">(none registered)</option>}
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.version}
                {m.is_active ? " (active)" : ""}
              </option>
            ))}
          </select>
        </label>
        {RUN_FIELDS.map(({ field, label, hint }) => (
          <label key={field} title={hint}>
            {label}
            <input
              data-testid={`fine-tune-${field}`}
              className={errors[field] ? "invalid" : undefined}
              inputMode="decimal"
              size={8}
              value={values[field]}
              aria-invalid={errors[field] ? true : undefined}
              onChange={(e) => setEdited((previous) => ({ ...previous, [field]: e.target.value }))}
            />
            {errors[field] && <span className="field-error">{errors[field]}</span>}
          </label>
        ))}
        <label className="grow">
          Leave out studies {excluded.length > 0 && <span>({excluded.length} chosen)</span>}
          {studies.error ? (
            <span className="error">{studies.error.detail}</span>
          ) : (
            <select
              multiple
              size={4}
              data-testid="fine-tune-exclude"
              value={excluded.map(String)}
              onChange={(e) => setExcluded([...e.target.selectedOptions].map((o) => Number(o.value)))}
            >
              {(studies.data?.results ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.patient_pseudo_id} · {s.date} {s.indication ? `· ${s.indication}` : ""}
                </option>
              ))}
            </select>
          )}
        </label>
        <button type="submit" className="primary" data-testid="fine-tune-submit" disabled={busy || baseId === null}>
          {busy ? "Starting…" : "Fine-tune"}
        </button>
      </div>
      {error && (
        <p className="error" role="alert" data-testid="fine-tune-error">
          {error}
        </p>
      )}
    </form>
  );
}

import { useState, type FormEvent } from "react";
import { promoteModel } from "../../api/client";
import { toApiError } from "../../api/useApi";
import type { ModelVersion } from "../../api/types";
import { needsOverrideReason } from "./gate";

type Target = Pick<ModelVersion, "id" | "version" | "gate">;

/**
 * Confirm making a version active (a promotion, or a rollback to an older one). When its gate failed,
 * or it was never gated, the server wants a written reason (409 gate_failed / no_gate): the dialog shows
 * the server's words and asks for one, then retries with it.
 */
export function PromoteDialog({ model, rollback, onDone, onClose }: { model: Target; rollback: boolean; onDone: (model: ModelVersion) => void; onClose: () => void }) {
  // Known up front when the gate failed; learned from the server's 409 otherwise.
  const [askReason, setAskReason] = useState(model.gate !== null && !model.gate.passed);
  const [serverDetail, setServerDetail] = useState<string | null>(null);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (askReason && !reason.trim()) {
      setError("Write why this version should be active anyway.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onDone(await promoteModel(model.id, askReason ? reason.trim() : undefined));
    } catch (reasonOrError) {
      const apiError = toApiError(reasonOrError);
      if (needsOverrideReason(apiError) && !(askReason && reason.trim())) {
        setAskReason(true);
        setServerDetail(serverWords(apiError.body) ?? (apiError.code === "no_gate" ? "This version was never gated." : "Its promotion gate failed."));
      } else {
        setError(apiError.detail);
      }
      setBusy(false);
    }
  };

  const gateFailed = model.gate !== null && !model.gate.passed;
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <form className="modal" role="dialog" aria-label="Make active" data-testid="promote-dialog" onClick={(e) => e.stopPropagation()} onSubmit={(e) => void submit(e)}>
        <div className="modal-head">
          <h2>
            {rollback ? "Roll back to" : "Make active:"} {model.version}?
          </h2>
          <button type="button" className="link" onClick={onClose}>
            Close
          </button>
        </div>
        <p>
          New videos will be processed with <strong>{model.version}</strong>
          {rollback ? ", an older version, in place of the active one." : " from now on."} Videos already processed keep their results.
        </p>
        {gateFailed && !serverDetail && <p className="error">This version failed its promotion gate.</p>}
        {serverDetail && (
          <p className="error" data-testid="promote-server-detail">
            {serverDetail}
          </p>
        )}
        {askReason && (
          <label className="stacked">
            Reason for overriding the gate (kept in the audit log)
            <textarea data-testid="promote-reason" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} autoFocus required />
          </label>
        )}
        {error && (
          <p className="error" role="alert" data-testid="promote-error">
            {error}
          </p>
        )}
        <div className="modal-actions">
          <button type="submit" className="primary" data-testid="promote-confirm" disabled={busy}>
            {askReason ? "Override and make active" : "Make active"}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}

/** The 409's own `detail`, when it has one (a no_gate answer may carry only its code). */
function serverWords(body: unknown): string | null {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === "string" && detail) return detail;
  }
  return null;
}

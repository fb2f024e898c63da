import { useState } from "react";
import { toApiError } from "../../api/useApi";
import type { Study } from "../../api/types";
import { FileButton } from "./FileButton";
import { importKvasirZip } from "./studyApi";

type State = { phase: "idle" } | { phase: "sending"; name: string; fraction: number } | { phase: "failed"; message: string };

/** Import a Kvasir-SEG zip as a new study (POST /api/studies/import/); on success the caller opens it. */
export function KvasirImport({ onImported }: { onImported: (study: Study) => void }) {
  const [state, setState] = useState<State>({ phase: "idle" });

  const start = (file: File) => {
    setState({ phase: "sending", name: file.name, fraction: 0 });
    importKvasirZip(file, (fraction) => setState((s) => (s.phase === "sending" ? { ...s, fraction } : s))).done.then(
      (study) => {
        setState({ phase: "idle" });
        onImported(study);
      },
      (reason: unknown) => setState({ phase: "failed", message: toApiError(reason).detail }),
    );
  };

  return (
    <div className="upload">
      <FileButton label="Import Kvasir-SEG zip…" testId="import-input" accept=".zip,application/zip"
        busy={state.phase === "sending"} title="A Kvasir-SEG zip (images/, masks/) becomes a new study with ground truth"
        onFiles={([file]) => file && start(file)} />
      {state.phase === "sending" && (
        <span className="upload-status">
          <progress data-testid="import-progress" value={state.fraction} max={1} />
          <span>
            {state.name}: {state.fraction < 1 ? `${Math.round(state.fraction * 100)}%` : "checking and importing…"}
          </span>
        </span>
      )}
      {state.phase === "failed" && (
        <span className="upload-status error" role="alert" data-testid="import-error">
          Import refused: {state.message}
        </span>
      )}
    </div>
  );
}

import { useState, type FormEvent } from "react";
import { toApiError } from "../../api/useApi";
import type { Study } from "../../api/types";
import { MemberChecklist } from "./StudyMembers";
import { createStudyWithMembers } from "./studyApi";

/** canAssign: an admin also picks the people the study is assigned to (they see it at once). */
export function NewStudyForm({ onCreated, canAssign = false }: { onCreated: (study: Study) => void; canAssign?: boolean }) {
  const [members, setMembers] = useState<number[]>([]);
  const [patient, setPatient] = useState("");
  const [date, setDate] = useState(() => new Date().toISOString().slice(0, 10));
  const [indication, setIndication] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(await createStudyWithMembers({ patient_pseudo_id: patient.trim(), date, indication: indication.trim() }, canAssign ? members : []));
    } catch (reason) {
      setError(toApiError(reason).detail);
      setBusy(false);
    }
  };

  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)}>
      <label>
        Patient pseudonym
        <input data-testid="new-study-patient" value={patient} onChange={(e) => setPatient(e.target.value)} required autoFocus />
      </label>
      <label>
        Date
        <input data-testid="new-study-date" type="date" value={date} onChange={(e) => setDate(e.target.value)} required />
      </label>
      <label className="grow">
        Indication
        <input data-testid="new-study-indication" value={indication} onChange={(e) => setIndication(e.target.value)} />
      </label>
      {canAssign && (
        <div className="new-study-members">
          <span className="small muted">Assign to (they see the study at once; you can change it later on the study page):</span>
          <MemberChecklist selected={members} onChange={setMembers} />
        </div>
      )}
      <button type="submit" className="primary" data-testid="new-study-submit" disabled={busy}>
        Create
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

import { useState } from "react";
import { listUsers } from "../../api/client";
import { toApiError, useApi } from "../../api/useApi";
import type { User } from "../../api/types";
import { ROLE_LABELS } from "../labels";
import { sameMembers, toggleMember } from "./members";
import { setStudyMembers, type StudyWithMembers } from "./studyApi";

/** Who is assigned to the study; admins change it here (PUT /api/studies/{id}/members/, audited). */
export function StudyMembers({ study, canAssign, onChanged }: { study: StudyWithMembers; canAssign: boolean; onChanged: (study: StudyWithMembers) => void }) {
  const [editing, setEditing] = useState(false);
  const members = study.members;
  return (
    <div className="members" data-testid="study-members">
      <span className="muted small">Assigned:</span>{" "}
      {members.length === 0 ? (
        <span className="muted small">nobody yet{canAssign ? "" : " (an admin assigns people)"}</span>
      ) : (
        members.map((m) => (
          <span key={m.id} className="badge member" data-testid="member-chip" data-user-id={m.id} title={ROLE_LABELS[m.role]}>
            {m.username} <span className="muted">· {ROLE_LABELS[m.role]}</span>
          </span>
        ))
      )}{" "}
      {canAssign && !editing && (
        <button type="button" className="link" data-testid="members-edit" onClick={() => setEditing(true)}>
          Assign people…
        </button>
      )}
      {editing && (
        <MemberPicker
          studyId={study.id}
          initial={members.map((m) => m.id)}
          onCancel={() => setEditing(false)}
          onSaved={(updated) => {
            setEditing(false);
            onChanged(updated);
          }}
        />
      )}
    </div>
  );
}

function MemberPicker({ studyId, initial, onCancel, onSaved }: { studyId: number; initial: number[]; onCancel: () => void; onSaved: (study: StudyWithMembers) => void }) {
  const [selected, setSelected] = useState<number[]>(() => [...initial].sort((a, b) => a - b));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = () => {
    setBusy(true);
    setError(null);
    setStudyMembers(studyId, selected).then(onSaved, (reason: unknown) => {
      setError(toApiError(reason).detail);
      setBusy(false);
    });
  };

  return (
    <div className="card member-picker" data-testid="members-picker">
      <p className="small muted">The people ticked here see this study, its videos and images. Admins see every study.</p>
      <MemberChecklist selected={selected} onChange={setSelected} />
      <div className="member-actions">
        <button type="button" className="primary" data-testid="members-save" disabled={busy || sameMembers(selected, initial)} onClick={save}>
          Save assignment
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        {error && (
          <span className="error" role="alert" data-testid="members-error">
            {error}
          </span>
        )}
      </div>
    </div>
  );
}

/** Gastroenterologists and annotators to tick (the people a study is assigned to). */
export function MemberChecklist({ selected, onChange }: { selected: readonly number[]; onChange: (selected: number[]) => void }) {
  const gastro = useApi((signal) => listUsers("gastroenterologist", signal), []);
  const annotators = useApi((signal) => listUsers("annotator", signal), []);

  const column = (title: string, users: User[] | null, loadError: string | null) => (
    <fieldset className="member-column">
      <legend>{title}</legend>
      {loadError && <p className="error small">{loadError}</p>}
      {users === null && !loadError && <p className="muted small">Loading…</p>}
      {users !== null && users.length === 0 && <p className="muted small">No one with this role yet.</p>}
      {(users ?? []).map((u) => (
        <label key={u.id} className="member-option">
          <input type="checkbox" data-testid="member-option" data-user-id={u.id} checked={selected.includes(u.id)} onChange={() => onChange(toggleMember(selected, u.id))} />
          {u.username}
        </label>
      ))}
    </fieldset>
  );

  return (
    <div className="member-columns">
      {column("Gastroenterologists", gastro.data, gastro.error?.detail ?? null)}
      {column("Annotators", annotators.data, annotators.error?.detail ?? null)}
    </div>
  );
}

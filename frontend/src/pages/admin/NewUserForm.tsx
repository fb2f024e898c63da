// The Users page's create form: the role is required; an empty password means a set-password link instead.
import { useState, type FormEvent } from "react";
import { toApiError } from "../../api/useApi";
import type { Role } from "../../api/types";
import { ROLE_LABELS } from "../labels";
import { createUser, type AdminUser, type Invite } from "./adminApi";
import { ROLES, newUserProblem, type NewUserForm as Form } from "./users";

export function NewUserForm({ onCreated }: { onCreated: (user: AdminUser & { invite?: Invite }) => void }) {
  const [form, setForm] = useState<Form>({ username: "", password: "", role: "" });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // An old complaint about what was typed goes once it is being fixed.
  const edit = (change: Partial<Form>) => {
    setForm((f) => ({ ...f, ...change }));
    setError(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem = newUserProblem(form);
    if (problem || !form.role) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const username = form.username.trim();
      onCreated(await createUser(form.password ? { username, password: form.password, role: form.role } : { username, role: form.role }));
    } catch (reason) {
      setError(toApiError(reason).detail);
      setBusy(false);
    }
  };

  return (
    <form className="card inline-form" data-testid="new-user-form" noValidate onSubmit={(e) => void submit(e)}>
      <label>
        Username
        <input
          data-testid="new-user-username"
          autoComplete="off"
          value={form.username}
          onChange={(e) => edit({ username: e.target.value })}
          autoFocus
        />
      </label>
      <label>
        First password (optional)
        <input
          data-testid="new-user-password"
          type="password"
          autoComplete="new-password"
          value={form.password}
          onChange={(e) => edit({ password: e.target.value })}
        />
        <span className="hint">At least 8 characters, not a common one, not like the name. Leave it empty to get a one-time link with which they choose their own.</span>
      </label>
      <label>
        Role
        <select data-testid="new-user-role" value={form.role} onChange={(e) => edit({ role: e.target.value as Role | "" })}>
          <option value="">Choose a role…</option>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="primary" data-testid="new-user-submit" disabled={busy}>
        {busy ? "Creating…" : "Create user"}
      </button>
      {error && (
        <p className="error" role="alert" data-testid="new-user-error">
          {error}
        </p>
      )}
    </form>
  );
}

// The page a set-password link opens (logged out): the invited person chooses their password once.
import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { toApiError, useApi } from "../../api/useApi";
import { acceptInvite, checkInvite } from "./adminApi";
import { inviteParts, passwordsProblem } from "./users";
import "./admin.css";

export function SetPasswordPage() {
  const [search] = useSearchParams();
  const parts = inviteParts(search);
  const invited = useApi((signal) => (parts ? checkInvite(parts.uid, parts.token, signal) : Promise.resolve(null)), [parts?.uid, parts?.token]);
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!parts) return;
    const problem = passwordsProblem(password, confirm);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setDone((await acceptInvite(parts.uid, parts.token, password)).username);
    } catch (reason) {
      setError(toApiError(reason).detail);
    } finally {
      setBusy(false);
    }
  };

  const broken = !parts ? "This link is not complete: copy the whole link, or ask an admin for a new one." : invited.error?.detail;

  return (
    <main className="login">
      <div className="login-card" data-testid="set-password-page">
        <h1>Polypscope</h1>
        {done ? (
          <>
            <p className="ok" data-testid="set-password-done" role="status">
              Your password is set, {done}. The link no longer works.
            </p>
            <Link to="/app/login" className="button set-password-login" data-testid="set-password-login">
              Log in
            </Link>
          </>
        ) : broken ? (
          <>
            <p className="error" role="alert" data-testid="set-password-invalid">
              {broken}
            </p>
            <Link to="/app/login">Log in</Link>
          </>
        ) : invited.loading || !invited.data ? (
          <p className="muted">Checking the link…</p>
        ) : (
          <form onSubmit={(e) => void submit(e)} className="set-password-form">
            <p>
              Choose a password for <strong data-testid="set-password-username">{invited.data.username}</strong>. This link works once.
            </p>
            <label>
              New password
              <input
                data-testid="set-password-input"
                type="password"
                autoComplete="new-password"
                autoFocus
                value={password}
                onChange={(e) => {
                  setPassword(e.target.value);
                  setError(null);
                }}
              />
            </label>
            <label>
              Again
              <input
                data-testid="set-password-confirm"
                type="password"
                autoComplete="new-password"
                value={confirm}
                onChange={(e) => {
                  setConfirm(e.target.value);
                  setError(null);
                }}
              />
            </label>
            <p className="muted small">At least 8 characters, not a common one, not like your name.</p>
            {error && (
              <p className="error" role="alert" data-testid="set-password-error">
                {error}
              </p>
            )}
            <button type="submit" className="primary" data-testid="set-password-submit" disabled={busy}>
              {busy ? "Saving…" : "Set password"}
            </button>
          </form>
        )}
      </div>
    </main>
  );
}

// One user on the Users page: role, status, and the admin's actions (set password, invite link, deactivate).
import { useState } from "react";
import { toApiError } from "../../api/useApi";
import type { Role } from "../../api/types";
import { formatDateTime } from "../common";
import { ROLE_LABELS } from "../labels";
import { useSession, useUser } from "../session";
import { changeUser, makeInvite, type AdminUser, type Invite, type UserChange } from "./adminApi";
import { InviteBox } from "./InviteBox";
import { ROLES, roleLabel } from "./users";

type Mode = "idle" | "password" | "confirm-deactivate";

export function UserRow({ user, lastAdmin, onChanged }: { user: AdminUser; lastAdmin: boolean; onChanged: (user: AdminUser) => void }) {
  const me = useUser();
  const { retry: reloadSession } = useSession();
  const isMe = me.id === user.id;
  const [mode, setMode] = useState<Mode>("idle");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [invite, setInvite] = useState<Invite | null>(null);

  const invitation = async () => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      setInvite(await makeInvite(user.id));
    } catch (reason) {
      setError(toApiError(reason).detail);
    } finally {
      setBusy(false);
    }
  };

  const apply = async (change: UserChange, done: string) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      onChanged(await changeUser(user.id, change));
      setMessage(done);
      setMode("idle");
      setPassword("");
      // An admin who stepped down sees the app as it now is for them.
      if (isMe && change.role !== undefined) reloadSession();
    } catch (reason) {
      setError(toApiError(reason).detail);
    } finally {
      setBusy(false);
    }
  };

  const cantDemote = lastAdmin ? "The last active admin: make someone else an admin first." : undefined;

  return (
    <tr data-testid="user-row" data-username={user.username} data-active={user.is_active ? "true" : "false"} className={user.is_active ? "" : "inactive-row"}>
      <td className="username badges">
        {user.username}
        {isMe && <span className="muted"> (you)</span>}
        {user.is_superuser && (
          <span className="badge tone-info" title="A superuser counts as an admin whatever the role">
            superuser
          </span>
        )}
        {lastAdmin && (
          <span className="badge tone-muted" title="The last active admin cannot be demoted or deactivated: make someone else an admin first">
            last admin
          </span>
        )}
      </td>
      <td>
        <select
          data-testid="user-role"
          aria-label={`Role of ${user.username}`}
          value={user.role}
          disabled={busy || lastAdmin}
          title={cantDemote}
          onChange={(e) => void apply({ role: e.target.value as Role }, `Role set to ${roleLabel(e.target.value as Role)}.`)}
        >
          {!user.role && <option value="">No role</option>}
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </select>
      </td>
      <td className="badges">
        {user.is_active ? <span className="badge tone-ok">Active</span> : <span className="badge tone-muted">Deactivated</span>}
        {user.is_active && !user.role && !user.is_superuser && <span className="badge tone-busy">needs a role</span>}
      </td>
      <td className="nowrap">{user.last_login ? formatDateTime(user.last_login) : <span className="muted">never</span>}</td>
      <td className="nowrap">{formatDateTime(user.date_joined)}</td>
      <td className="actions">
        <div className="user-actions">
          {mode === "password" ? (
            <form
              className="user-actions"
              onSubmit={(e) => {
                e.preventDefault();
                if (password) void apply({ password }, "Password set; their old password and API token no longer work.");
              }}
            >
              <input
                type="password"
                data-testid="user-password-input"
                aria-label={`New password for ${user.username}`}
                autoComplete="new-password"
                placeholder="New password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                autoFocus
              />
              <button type="submit" className="primary" data-testid="user-password-save" disabled={busy || !password}>
                Set password
              </button>
              <button type="button" onClick={() => setMode("idle")}>
                Cancel
              </button>
            </form>
          ) : mode === "confirm-deactivate" ? (
            <>
              <span className="notice">Deactivate {user.username}? They are logged out and can no longer log in.</span>
              <button type="button" className="primary" data-testid="user-deactivate-confirm" disabled={busy} onClick={() => void apply({ is_active: false }, "Deactivated.")}>
                Deactivate
              </button>
              <button type="button" onClick={() => setMode("idle")}>
                Cancel
              </button>
            </>
          ) : (
            <>
              <button type="button" data-testid="user-set-password" disabled={busy || !user.is_active} onClick={() => setMode("password")}>
                Set password
              </button>
              <button
                type="button"
                data-testid="user-invite"
                disabled={busy || !user.is_active}
                title="A one-time link with which they choose their own password"
                onClick={() => void invitation()}
              >
                Invite link
              </button>
              {user.is_active ? (
                <button
                  type="button"
                  data-testid="user-deactivate"
                  disabled={busy || isMe || lastAdmin}
                  title={isMe ? "You cannot deactivate yourself: ask another admin." : cantDemote}
                  onClick={() => setMode("confirm-deactivate")}
                >
                  Deactivate
                </button>
              ) : (
                <button type="button" data-testid="user-reactivate" disabled={busy} onClick={() => void apply({ is_active: true }, "Reactivated: they can log in again.")}>
                  Reactivate
                </button>
              )}
            </>
          )}
        </div>
        {error && (
          <div className="row-note error" role="alert" data-testid="user-row-error">
            {error}
          </div>
        )}
        {message && (
          <div className="row-note ok" role="status" data-testid="user-row-message">
            {message}
          </div>
        )}
        {invite && (
          <div className="row-note">
            <InviteBox invite={invite} />
          </div>
        )}
      </td>
    </tr>
  );
}

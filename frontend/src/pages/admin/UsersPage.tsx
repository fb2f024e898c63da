// Users (admins): create with a required role, change a role, deactivate / reactivate, set a password.
// Every change goes through PATCH /api/users/{id}/, which also refuses to lock everyone out (409).
import { useState, type FormEvent } from "react";
import { toApiError, useApi } from "../../api/useApi";
import type { Role } from "../../api/types";
import { ErrorBanner, Loading, formatDateTime } from "../common";
import { ROLE_LABELS } from "../labels";
import { useSession, useUser } from "../session";
import { changeUser, createUser, listAllUsers, makeInvite, type AdminUser, type Invite, type UserChange } from "./adminApi";
import { ROLES, inviteLink, isLastActiveAdmin, newUserProblem, roleLabel, sortUsers, type NewUserForm } from "./users";
import "./admin.css";

export function UsersPage() {
  const users = useApi((signal) => listAllUsers(signal), []);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<(AdminUser & { invite?: Invite }) | null>(null);

  const replace = (changed: AdminUser) => users.setData((list) => (list ?? []).map((u) => (u.id === changed.id ? changed : u)));

  return (
    <section className="page" data-testid="users-page">
      <div className="page-head">
        <h1>Users</h1>
        <button type="button" data-testid="new-user-toggle" onClick={() => setCreating((c) => !c)}>
          {creating ? "Close" : "New user"}
        </button>
      </div>
      {creating && (
        <NewUser
          onCreated={(user) => {
            setCreated(user);
            setCreating(false);
            users.setData((list) => [...(list ?? []), user]);
          }}
        />
      )}
      {created && (
        <div className="card" data-testid="new-user-created" role="status">
          <p className="ok">
            {created.username} was created as {roleLabel(created.role)}.{" "}
            {created.invite ? "Give them this link to choose their password:" : "They can log in now with the password you chose."}
          </p>
          {created.invite && <InviteBox invite={created.invite} />}
        </div>
      )}
      {users.error && <ErrorBanner error={users.error} onRetry={users.reload} />}
      {users.loading && !users.data && <Loading what="users" />}
      {users.data && (
        <table className="grid">
          <thead>
            <tr>
              <th>Username</th>
              <th>Role</th>
              <th>Status</th>
              <th>Last login</th>
              <th>Joined</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sortUsers(users.data).map((u) => (
              <UserRow key={u.id} user={u} lastAdmin={isLastActiveAdmin(users.data ?? [], u)} onChanged={replace} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function NewUser({ onCreated }: { onCreated: (user: AdminUser) => void }) {
  const [form, setForm] = useState<NewUserForm>({ username: "", password: "", role: "" });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // An old complaint about what was typed goes once it is being fixed.
  const edit = (change: Partial<NewUserForm>) => {
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

type Mode = "idle" | "password" | "confirm-deactivate";

/** A set-password link to hand over (copy it, or select it where the clipboard is not allowed). */
function InviteBox({ invite }: { invite: Invite }) {
  const link = inviteLink(invite.path, window.location.origin);
  const [copied, setCopied] = useState(false);
  return (
    <div className="invite-box">
      <input readOnly data-testid="invite-link" value={link} aria-label="Set-password link" onFocus={(e) => e.target.select()} />
      <button
        type="button"
        data-testid="invite-copy"
        onClick={() => {
          navigator.clipboard?.writeText(link).then(
            () => setCopied(true),
            () => setCopied(false),
          );
        }}
      >
        {copied ? "Copied" : "Copy"}
      </button>
      <span className="hint">Works once, until {formatDateTime(invite.expires_at)}.</span>
    </div>
  );
}

function UserRow({ user, lastAdmin, onChanged }: { user: AdminUser; lastAdmin: boolean; onChanged: (user: AdminUser) => void }) {
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
      // An admin who stepped down (or changed their own password) sees the app as it now is for them.
      if (isMe) reloadSession();
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

// Users (admins): create with a required role, change a role, deactivate / reactivate, set a password or
// hand over a one-time set-password link. Every change goes through PATCH /api/users/{id}/, which also
// refuses to lock everyone out (409).
import { useState } from "react";
import { useApi } from "../../api/useApi";
import { ErrorBanner, Loading } from "../common";
import { listAllUsers, type AdminUser, type Invite } from "./adminApi";
import { InviteBox } from "./InviteBox";
import { NewUserForm } from "./NewUserForm";
import { UserRow } from "./UserRow";
import { isLastActiveAdmin, roleLabel, sortUsers } from "./users";
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
        <NewUserForm
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

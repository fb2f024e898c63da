// The admin pages' calls: users (GET/POST /api/users/, PATCH /api/users/{id}/) and the audit log
// (GET /api/audit/, /api/audit/choices/; the CSV export is a plain link, see auditFilters.ts).
import { get, getList, request } from "../../api/http";
import type { Page, Role } from "../../api/types";

/** A user as an admin sees one. `role` is "" for a user nobody gave a role yet. */
export interface AdminUser {
  id: number;
  username: string;
  role: Role | "";
  is_active: boolean;
  is_superuser: boolean;
  last_login: string | null;
  date_joined: string;
}

export interface NewUser {
  username: string;
  /** Left out: the user gets a one-time set-password link instead (`invite` in the answer). */
  password?: string;
  role: Role;
}

/** A one-time set-password link: `path` is under this app; `url` as the server saw its own address. */
export interface Invite {
  path: string;
  url: string;
  expires_at: string;
}

export interface InvitedUser {
  id: number;
  username: string;
  role: Role | "";
}

export interface UserChange {
  role?: Role;
  is_active?: boolean;
  password?: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor_username: string;
  action: string;
  target_type: string;
  target_id: string;
  detail: Record<string, unknown>;
}

export interface AuditChoices {
  actions: { value: string; label: string }[];
  target_types: string[];
}

export const listAllUsers = (signal?: AbortSignal): Promise<AdminUser[]> => getList<AdminUser>("/api/users/?include_inactive=true", signal);

export const createUser = (user: NewUser): Promise<AdminUser & { invite?: Invite }> =>
  request<AdminUser & { invite?: Invite }>("POST", "/api/users/", { body: user });

export const makeInvite = (id: number): Promise<Invite> => request<Invite>("POST", `/api/users/${id}/invite/`);

// The set-password page is used logged out: its errors are answers, never "log in again".
export const checkInvite = (uid: string, token: string, signal?: AbortSignal): Promise<InvitedUser> =>
  request<InvitedUser>("GET", `/api/auth/invite/?${new URLSearchParams({ uid, token }).toString()}`, { signal, authRedirect: false });

export const acceptInvite = (uid: string, token: string, password: string): Promise<InvitedUser> =>
  request<InvitedUser>("POST", "/api/auth/invite/", { body: { uid, token, password }, authRedirect: false });

export const changeUser = (id: number, change: UserChange): Promise<AdminUser> =>
  request<AdminUser>("PATCH", `/api/users/${id}/`, { body: change });

export const listAudit = (queryString: string, signal?: AbortSignal): Promise<Page<AuditEntry>> => get<Page<AuditEntry>>(`/api/audit/${queryString}`, signal);

export const auditChoices = (signal?: AbortSignal): Promise<AuditChoices> => get<AuditChoices>("/api/audit/choices/", signal);

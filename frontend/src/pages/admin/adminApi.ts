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
  password: string;
  role: Role;
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

export const createUser = (user: NewUser): Promise<AdminUser> => request<AdminUser>("POST", "/api/users/", { body: user });

export const changeUser = (id: number, change: UserChange): Promise<AdminUser> =>
  request<AdminUser>("PATCH", `/api/users/${id}/`, { body: change });

export const listAudit = (queryString: string, signal?: AbortSignal): Promise<Page<AuditEntry>> => get<Page<AuditEntry>>(`/api/audit/${queryString}`, signal);

export const auditChoices = (signal?: AbortSignal): Promise<AuditChoices> => get<AuditChoices>("/api/audit/choices/", signal);

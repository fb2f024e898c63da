// Pure rules of the Users page: what the create form checks before asking the server (the server checks
// again and has the last word: the password validators, a taken name), and how a user's state reads.
import type { Role } from "../../api/types";
import { ROLE_LABELS } from "../labels";
import type { AdminUser } from "./adminApi";

export const ROLES: readonly Role[] = ["gastroenterologist", "annotator", "admin"];

// Django's username rule (UnicodeUsernameValidator): letters, digits and @ . + - _, up to 150 characters.
const USERNAME = /^[\p{L}\p{N}@.+\-_]{1,150}$/u;

export interface NewUserForm {
  username: string;
  password: string;
  role: Role | "";
}

/** The first problem with the form as typed, or null when it can be sent. No password: an invite link. */
export function newUserProblem(form: NewUserForm): string | null {
  if (!form.username.trim()) return "Enter a username.";
  if (!USERNAME.test(form.username.trim())) return "A username has letters, digits and @ . + - _ only (no spaces).";
  if (!form.role) return "Choose a role: without one they could open no page.";
  return null;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function roleLabel(role: Role | ""): string {
  return role ? ROLE_LABELS[role] : "No role";
}

/** Whether a row is the one admin left: the page then offers neither demotion nor deactivation. */
export function isLastActiveAdmin(users: readonly AdminUser[], user: AdminUser): boolean {
  const admins = users.filter((u) => u.is_active && (u.role === "admin" || u.is_superuser));
  return admins.length === 1 && admins[0]?.id === user.id;
}

/** Active users first, each group by username. */
export function sortUsers(users: readonly AdminUser[]): AdminUser[] {
  return [...users].sort((a, b) => Number(b.is_active) - Number(a.is_active) || a.username.localeCompare(b.username));
}

/** The set-password form: both fields typed alike. */
export function passwordsProblem(password: string, confirm: string): string | null {
  if (!password) return "Choose a password.";
  if (password !== confirm) return "The two passwords differ.";
  return null;
}

/** The link to hand over, on this app's own address (the server may sit behind a proxy it cannot see). */
export function inviteLink(path: string, origin: string): string {
  return new URL(path, origin).toString();
}

/** The uid and token of a set-password link, or null when either is missing. */
export function inviteParts(search: URLSearchParams): { uid: string; token: string } | null {
  const uid = search.get("uid") ?? "";
  const token = search.get("token") ?? "";
  return uid && token ? { uid, token } : null;
}

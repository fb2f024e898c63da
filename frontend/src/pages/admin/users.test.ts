import { describe, expect, it } from "vitest";
import type { AdminUser } from "./adminApi";
import { inviteLink, inviteParts, isLastActiveAdmin, isRole, newUserProblem, passwordsProblem, roleLabel, sortUsers } from "./users";

const user = (id: number, username: string, role: AdminUser["role"], is_active = true, is_superuser = false): AdminUser => ({
  id,
  username,
  role,
  is_active,
  is_superuser,
  last_login: null,
  date_joined: "2026-12-01T10:00:00Z",
});

describe("the new user form", () => {
  const ok = { username: "dr-smith", password: "long enough", role: "annotator" as const };

  it("needs a name and a role; no password means an invite link", () => {
    expect(newUserProblem(ok)).toBeNull();
    expect(newUserProblem({ ...ok, username: " " })).toMatch(/username/);
    expect(newUserProblem({ ...ok, password: "" })).toBeNull();
    expect(newUserProblem({ ...ok, role: "" })).toMatch(/role/);
  });

  it("refuses names Django would refuse", () => {
    expect(newUserProblem({ ...ok, username: "dr smith" })).toMatch(/no spaces/);
    expect(newUserProblem({ ...ok, username: "a<b>" })).toMatch(/letters/);
    expect(newUserProblem({ ...ok, username: "józef.k+1@x" })).toBeNull();
  });
});

describe("user rows", () => {
  it("names a missing role", () => {
    expect(roleLabel("")).toBe("No role");
    expect(roleLabel("gastroenterologist")).toBe("Gastroenterologist");
    expect(isRole("admin") && !isRole("") && !isRole("root")).toBe(true);
  });

  it("knows the last active admin, superusers counting as admins", () => {
    const admin = user(1, "boss", "admin");
    const retired = user(2, "old", "admin", false);
    const root = user(3, "root", "", true, true);
    expect(isLastActiveAdmin([admin, retired], admin)).toBe(true);
    expect(isLastActiveAdmin([admin, retired, root], admin)).toBe(false);
    expect(isLastActiveAdmin([admin, retired], retired)).toBe(false);
  });

  it("lists active users first", () => {
    const sorted = sortUsers([user(1, "zed", "annotator"), user(2, "amy", "annotator", false), user(3, "bob", "admin")]);
    expect(sorted.map((u) => u.username)).toEqual(["bob", "zed", "amy"]);
  });
});

describe("set-password links", () => {
  it("checks the two passwords agree", () => {
    expect(passwordsProblem("", "")).toMatch(/Choose/);
    expect(passwordsProblem("a-long-one", "a-long-on")).toMatch(/differ/);
    expect(passwordsProblem("a-long-one", "a-long-one")).toBeNull();
  });

  it("puts the link on this app's address", () => {
    expect(inviteLink("/app/set-password?uid=Mg&token=abc-123", "https://scope.example:8443")).toBe("https://scope.example:8443/app/set-password?uid=Mg&token=abc-123");
  });

  it("reads a link's parts", () => {
    expect(inviteParts(new URLSearchParams("uid=Mg&token=abc-123"))).toEqual({ uid: "Mg", token: "abc-123" });
    expect(inviteParts(new URLSearchParams("uid=Mg"))).toBeNull();
  });
});

import { expect, test } from "vitest";
import { loginUrl, safeNext } from "./loginRedirect";

test("after login the user returns to the page they were on, query included", () => {
  expect(safeNext("/app/videos/4?event=9")).toBe("/app/videos/4?event=9");
  expect(loginUrl("/app/videos/4?event=9")).toBe("/app/login?next=%2Fapp%2Fvideos%2F4%3Fevent%3D9");
});

test("targets outside the app, other origins and the login page itself go home", () => {
  for (const next of [null, "", "https://evil.example/", "//evil.example/app/", "/admin/", "/application", "/app/login", "/app/login?next=/app/"]) {
    expect(safeNext(next)).toBe("/app/");
  }
  expect(loginUrl("/app/")).toBe("/app/login");
});

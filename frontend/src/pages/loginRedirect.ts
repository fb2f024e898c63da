// Where the login page sends the user afterwards: back where they were, never off the app.

export const LOGIN_PATH = "/app/login";
export const HOME_PATH = "/app/";

/** The `next` target if it is a path inside the app (not the login page, not another origin), else home. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/app") || next.startsWith("//")) return HOME_PATH;
  if (next === LOGIN_PATH || next.startsWith(`${LOGIN_PATH}?`) || next.startsWith(`${LOGIN_PATH}/`)) return HOME_PATH;
  if (next !== "/app" && !next.startsWith("/app/") && !next.startsWith("/app?")) return HOME_PATH;
  return next;
}

/** The login URL that returns to `here` (path + query) afterwards. */
export function loginUrl(here: string): string {
  const next = safeNext(here);
  return next === HOME_PATH ? LOGIN_PATH : `${LOGIN_PATH}?next=${encodeURIComponent(next)}`;
}

// The one fetch wrapper: session cookie, CSRF header on unsafe methods, errors as ApiError,
// and a single place that reacts to "log in again".

/** An HTTP error with the API's message: `detail`, or validation errors flattened into one line. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly code: string | null;
  /** The parsed JSON body, when there was one (a 409 carries the conflicting revision here). */
  readonly body: unknown;

  constructor(status: number, detail: string, code: string | null = null, body: unknown = null) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.code = code;
    this.body = body;
  }
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function readCookie(cookieHeader: string, name: string): string | null {
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

export function csrfToken(): string | null {
  return typeof document === "undefined" ? null : readCookie(document.cookie, "csrftoken");
}

/** The message to show for an error body: `{"detail"}`, or `{"field": ["msg"]}` as "field: msg". */
export function errorDetail(status: number, body: unknown): string {
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    if (typeof record.detail === "string") return record.detail;
    const parts: string[] = [];
    for (const [field, value] of Object.entries(record)) {
      const messages = Array.isArray(value) ? value.filter((m) => typeof m === "string") : typeof value === "string" ? [value] : [];
      if (messages.length > 0) parts.push(field === "non_field_errors" ? messages.join(" ") : `${field}: ${messages.join(" ")}`);
    }
    if (parts.length > 0) return parts.join("; ");
  }
  return fallbackDetail(status);
}

function fallbackDetail(status: number): string {
  switch (status) {
    case 0:
      return "The server could not be reached.";
    case 401:
    case 403:
      return "Please log in again.";
    case 404:
      return "Not found.";
    case 409:
      return "Conflict with a newer change.";
    case 413:
      return "The file is too large.";
    default:
      return status >= 500 ? `Server error (${status}).` : `Request failed (${status}).`;
  }
}

export function errorCode(body: unknown): string | null {
  if (body && typeof body === "object" && "code" in body) {
    const code = (body as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return null;
}

type AuthLostHandler = () => void;
let onAuthLost: AuthLostHandler = () => undefined;

/** App registers where to go when the session is gone (the login page, then back). */
export function setAuthLostHandler(handler: AuthLostHandler): void {
  onAuthLost = handler;
}

export function reportAuthLost(): void {
  onAuthLost();
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** False for the session probe itself: a 403 there is an answer, not a lost session. */
  authRedirect?: boolean;
}

async function parseBody(response: Response): Promise<unknown> {
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("json")) return null;
  try {
    return (await response.json()) as unknown;
  } catch {
    return null;
  }
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method)) {
    const token = csrfToken();
    if (token) headers["X-CSRFToken"] = token;
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, fallbackDetail(0));
  }
  const body = await parseBody(response);
  if (!response.ok) {
    const error = new ApiError(response.status, errorDetail(response.status, body), errorCode(body), body);
    if (options.authRedirect !== false && (await isAuthLost(response.status))) reportAuthLost();
    throw error;
  }
  return body as T;
}

/**
 * 401 always means the session is gone. A 403 is ambiguous under Django's session auth: it is what an
 * anonymous request gets, and also what a logged-in user gets for an action outside their role. Ask the
 * session endpoint which one it is, so an annotator refused a verdict sees the refusal instead of the
 * login page.
 */
async function isAuthLost(status: number): Promise<boolean> {
  if (status === 401) return true;
  if (status !== 403) return false;
  try {
    const probe = await fetch("/api/auth/session/", { credentials: "same-origin", headers: { Accept: "application/json" } });
    return probe.status === 401 || probe.status === 403;
  } catch {
    return false;
  }
}

export function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return request<T>("GET", path, { signal });
}

export function post<T>(path: string, body: unknown): Promise<T> {
  return request<T>("POST", path, { body });
}

/** A query string from the set values only ("" and null are left out), with the leading "?" when non-empty. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export interface UploadHandle<T> {
  done: Promise<T>;
  abort: () => void;
}

/**
 * Multipart upload through XMLHttpRequest, because fetch cannot report upload progress.
 * onProgress gets the fraction sent, 0..1.
 */
export function uploadFile<T>(path: string, field: string, file: File, onProgress: (fraction: number) => void): UploadHandle<T> {
  return uploadFiles<T>(path, field, [file], onProgress);
}

/** uploadFile for several files in one request, each under the same form field. */
export function uploadFiles<T>(path: string, field: string, files: readonly File[], onProgress: (fraction: number) => void): UploadHandle<T> {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open("POST", path);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Accept", "application/json");
    const token = csrfToken();
    if (token) xhr.setRequestHeader("X-CSRFToken", token);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? (JSON.parse(xhr.responseText) as unknown) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body as T);
        return;
      }
      if (xhr.status === 401 || xhr.status === 403) void isAuthLost(xhr.status).then((lost) => lost && reportAuthLost());
      reject(new ApiError(xhr.status, errorDetail(xhr.status, body), errorCode(body), body));
    };
    xhr.onerror = () => reject(new ApiError(0, fallbackDetail(0)));
    xhr.onabort = () => reject(new ApiError(0, "Upload cancelled.", "aborted"));
    const form = new FormData();
    for (const file of files) form.append(field, file);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/** A list endpoint documented as a plain array; accept a paginated page too, so a later switch breaks nothing. */
export async function getList<T>(path: string, signal?: AbortSignal): Promise<T[]> {
  const body = await get<T[] | { results: T[] }>(path, signal);
  return Array.isArray(body) ? body : body.results;
}

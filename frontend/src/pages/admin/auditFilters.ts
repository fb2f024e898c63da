// The audit page's filters live in the URL query string (bookmarkable, restored by Back), under the same
// names the API takes, so the page, the list request and the CSV download share one query. These functions
// are the only place that maps between them.

export interface AuditFilters {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  dateFrom: string;
  dateTo: string;
  page: number;
}

export const EMPTY_AUDIT_FILTERS: AuditFilters = { actor: "", action: "", targetType: "", targetId: "", dateFrom: "", dateTo: "", page: 1 };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
// What the server accepts (webapp/audit/api.py): longer or control-character input would only earn a 400.
const MAX_LENGTH = { actor: 150, action: 32, targetType: 64, targetId: 64 } as const;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** A typed value as sent: control characters (NUL included) removed, trimmed, cut to the server's limit. */
export function cleanText(value: string, max: number): string {
  return value.replace(CONTROL, "").trim().slice(0, max);
}

function positiveInt(text: string | null): number | null {
  if (text === null || !/^\d+$/.test(text)) return null;
  const value = Number(text);
  return value > 0 ? value : null;
}

/** Filters from a query string; malformed values (a hand-edited URL) are dropped, never sent on. */
export function parseAuditFilters(search: URLSearchParams): AuditFilters {
  const text = (key: string, max: number) => cleanText(search.get(key) ?? "", max);
  const date = (key: string) => {
    const value = search.get(key) ?? "";
    return ISO_DATE.test(value) ? value : "";
  };
  return {
    actor: text("actor", MAX_LENGTH.actor),
    action: /^[a-z_]+$/.test(search.get("action") ?? "") ? text("action", MAX_LENGTH.action) : "",
    targetType: text("target_type", MAX_LENGTH.targetType),
    targetId: text("target_id", MAX_LENGTH.targetId),
    dateFrom: date("date_from"),
    dateTo: date("date_to"),
    page: positiveInt(search.get("page")) ?? 1,
  };
}

/** The query for the filters (set values only, a fixed order); the page too unless withPage is false. */
export function auditSearch(filters: AuditFilters, withPage = true): URLSearchParams {
  const search = new URLSearchParams();
  if (filters.actor) search.set("actor", filters.actor);
  if (filters.action) search.set("action", filters.action);
  if (filters.targetType) search.set("target_type", filters.targetType);
  if (filters.targetId) search.set("target_id", filters.targetId);
  if (filters.dateFrom) search.set("date_from", filters.dateFrom);
  if (filters.dateTo) search.set("date_to", filters.dateTo);
  if (withPage && filters.page > 1) search.set("page", String(filters.page));
  return search;
}

function withQuestionMark(search: URLSearchParams): string {
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** "?actor=...&page=2" for GET /api/audit/ ("" when nothing is set). */
export function auditListQuery(filters: AuditFilters): string {
  return withQuestionMark(auditSearch(filters));
}

/** The CSV download of everything the filters match (every page). */
export function auditExportUrl(filters: AuditFilters): string {
  return `/api/audit/export/${withQuestionMark(auditSearch(filters, false))}`;
}

/** A change of any filter returns to page 1. */
export function withAuditFilter(filters: AuditFilters, change: Partial<Omit<AuditFilters, "page">>): AuditFilters {
  return { ...filters, ...change, page: 1 };
}

export function hasAuditFilters(filters: AuditFilters): boolean {
  return auditSearch(filters, false).toString() !== "";
}

/** The end date must not come before the start date (the API answers 400): say so before asking. */
export function dateRangeProblem(filters: AuditFilters): string | null {
  return filters.dateFrom && filters.dateTo && filters.dateTo < filters.dateFrom ? "The end date is before the start date." : null;
}

/** Where in the app an audited object can be seen, when it has a page. */
export function targetPath(targetType: string, targetId: string): string | null {
  if (!/^\d+$/.test(targetId)) return null;
  switch (targetType) {
    case "studies.study":
      return `/app/studies/${targetId}`;
    case "videos.video":
      return `/app/videos/${targetId}`;
    case "mlops.trainingrun":
      return `/app/training-runs/${targetId}`;
    case "studies.stillimage":
      return `/app/images/${targetId}/edit`;
    case "accounts.user":
      return "/app/users";
    default:
      return null;
  }
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined || value === "") return "(none)";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map(describeValue).join(", ");
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k} ${describeValue(v)}`)
    .join(", ");
}

// Read first: who or what the entry is about. (The database returns JSON keys in its own order.)
const FIRST = ["username", "operation", "object", "what"];

/** An entry's detail as one line for the table: "username fresh · role annotator"; a change as "from a → b". */
export function describeDetail(detail: Record<string, unknown>): string {
  const keys = Object.keys(detail).sort((a, b) => {
    const rank = (k: string) => (FIRST.includes(k) ? FIRST.indexOf(k) : FIRST.length);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const parts: string[] = [];
  for (const key of keys) {
    if (key === "to" && "from" in detail) continue;
    if (key === "from" && "to" in detail) {
      parts.push(`${describeValue(detail.from)} → ${describeValue(detail.to)}`);
      continue;
    }
    parts.push(`${key.replace(/_/g, " ")} ${describeValue(detail[key])}`);
  }
  return parts.join(" · ");
}

// The study list's filters live in the URL query string, so a filtered list can be bookmarked, shared
// and restored by Back. These functions are the only place that maps between the two.
import type { StudyQuery } from "../../api/client";
import type { StudyStatus } from "../../api/types";

export interface StudyFilters {
  status: StudyStatus | "";
  dateFrom: string;
  dateTo: string;
  reviewer: number | null;
  page: number;
}

export const EMPTY_FILTERS: StudyFilters = { status: "", dateFrom: "", dateTo: "", reviewer: null, page: 1 };

const STATUSES: readonly StudyStatus[] = ["open", "in_review", "closed"];
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function positiveInt(text: string | null): number | null {
  if (text === null || !/^\d+$/.test(text)) return null;
  const value = Number(text);
  return value > 0 ? value : null;
}

/** Filters from a query string; anything malformed (a hand-edited URL) is dropped, never sent on. */
export function parseFilters(search: URLSearchParams): StudyFilters {
  const status = search.get("status") ?? "";
  const dateFrom = search.get("date_from") ?? "";
  const dateTo = search.get("date_to") ?? "";
  return {
    status: (STATUSES as readonly string[]).includes(status) ? (status as StudyStatus) : "",
    dateFrom: ISO_DATE.test(dateFrom) ? dateFrom : "",
    dateTo: ISO_DATE.test(dateTo) ? dateTo : "",
    reviewer: positiveInt(search.get("reviewer")),
    page: positiveInt(search.get("page")) ?? 1,
  };
}

/** The query string for filters, set values only, in a fixed order (stable URLs). */
export function filtersToSearch(filters: StudyFilters): URLSearchParams {
  const search = new URLSearchParams();
  if (filters.status) search.set("status", filters.status);
  if (filters.dateFrom) search.set("date_from", filters.dateFrom);
  if (filters.dateTo) search.set("date_to", filters.dateTo);
  if (filters.reviewer !== null) search.set("reviewer", String(filters.reviewer));
  if (filters.page > 1) search.set("page", String(filters.page));
  return search;
}

/** A change of any filter returns to page 1: page 4 of the old result means nothing in the new one. */
export function withFilter(filters: StudyFilters, change: Partial<Omit<StudyFilters, "page">>): StudyFilters {
  return { ...filters, ...change, page: 1 };
}

export function toStudyQuery(filters: StudyFilters): StudyQuery {
  return {
    status: filters.status,
    date_from: filters.dateFrom,
    date_to: filters.dateTo,
    reviewer: filters.reviewer,
    page: filters.page,
  };
}

export function hasFilters(filters: StudyFilters): boolean {
  return filters.status !== "" || filters.dateFrom !== "" || filters.dateTo !== "" || filters.reviewer !== null;
}

// Small shared pieces: loading/error states, a pager, status badges.
import type { ReactNode } from "react";
import type { ApiError } from "../api/http";
import type { StudyStatus, VerdictValue, VideoStatus } from "../api/types";
import { STUDY_STATUS_LABELS, VERDICT_LABELS, VIDEO_STATUS_LABELS } from "./labels";

export function ErrorBanner({ error, onRetry }: { error: ApiError | string; onRetry?: () => void }) {
  return (
    <div className="error-banner" role="alert">
      <span>{typeof error === "string" ? error : error.detail}</span>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return <div className="page-status">Loading{what ? ` ${what}` : ""}…</div>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** Previous/next over a paginated list (50 a page by default). */
export function Pager({ page, count, pageSize = 50, onPage }: { page: number; count: number; pageSize?: number; onPage: (page: number) => void }) {
  const pages = Math.max(1, Math.ceil(count / pageSize));
  if (pages <= 1) return null;
  return (
    <div className="pager">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        ← Previous
      </button>
      <span>
        Page {page} of {pages} · {count} in all
      </span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next →
      </button>
    </div>
  );
}

export function StudyStatusBadge({ status }: { status: StudyStatus }) {
  return <span className={`badge study-${status}`}>{STUDY_STATUS_LABELS[status]}</span>;
}

export function VideoStatusBadge({ status }: { status: VideoStatus }) {
  return <span className={`badge video-${status}`}>{VIDEO_STATUS_LABELS[status]}</span>;
}

export function VerdictBadge({ value }: { value: VerdictValue | null }) {
  return value === null ? <span className="badge verdict-none">Pending</span> : <span className={`badge verdict-${value}`}>{VERDICT_LABELS[value]}</span>;
}

/** "2024-05-03T10:04:11Z" as the reader's local date and time, to the minute. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A page number from the query string (?page=N), 1 when absent or malformed. */
export function pageFromSearch(search: URLSearchParams): number {
  const page = Number(search.get("page"));
  return Number.isInteger(page) && page > 1 ? page : 1;
}

// The audit log (admins): who did what to which object, when. Filters live in the URL (the same names as
// the API), the list is paginated, and "Download CSV" exports every entry the filters match.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useApi } from "../../api/useApi";
import { Empty, ErrorBanner, Loading, Pager, formatDateTime } from "../common";
import { auditChoices, listAllUsers, listAudit } from "./adminApi";
import {
  EMPTY_AUDIT_FILTERS,
  auditExportUrl,
  auditListQuery,
  auditSearch,
  cleanText,
  dateRangeProblem,
  describeDetail,
  hasAuditFilters,
  parseAuditFilters,
  targetPath,
  withAuditFilter,
  type AuditFilters,
} from "./auditFilters";
import "./admin.css";

export function AuditPage() {
  const [search, setSearch] = useSearchParams();
  const filters = parseAuditFilters(search);
  const query = auditListQuery(filters);
  const rangeProblem = dateRangeProblem(filters);
  const entries = useApi((signal) => (rangeProblem ? Promise.resolve(null) : listAudit(query, signal)), [query]);
  const choices = useApi((signal) => auditChoices(signal), []);
  const people = useApi((signal) => listAllUsers(signal), []);

  // The two typed filters apply on Enter or when the field is left, not on every keystroke.
  const [actor, setActor] = useState(filters.actor);
  const [targetId, setTargetId] = useState(filters.targetId);
  useEffect(() => setActor(filters.actor), [filters.actor]);
  useEffect(() => setTargetId(filters.targetId), [filters.targetId]);

  // The filters last applied: a change made right after another (Clear, then an action chosen before the page
  // re-rendered) builds on it, not on this render's URL, which still held the cleared filters (a browser test caught
  // it: the role filter chosen just after Clear brought the old dates back and showed nothing). Synced from the URL
  // whenever the URL itself changes (back, forward, a link).
  const latest = useRef(filters);
  const seenSearch = useRef(search.toString());
  if (seenSearch.current !== search.toString()) {
    seenSearch.current = search.toString();
    latest.current = filters;
  }
  const apply = (next: AuditFilters) => {
    latest.current = next;
    setSearch(auditSearch(next));
  };
  const change = (part: Partial<Omit<AuditFilters, "page">>) => apply(withAuditFilter(latest.current, part));
  const applyTyped = (event?: FormEvent) => {
    event?.preventDefault();
    const next = { actor: cleanText(actor, 150), targetId: cleanText(targetId, 64) };
    if (next.actor !== filters.actor || next.targetId !== filters.targetId) change(next);
  };

  const actionLabels = new Map((choices.data?.actions ?? []).map((a) => [a.value, a.label]));
  const count = entries.data?.count ?? 0;

  return (
    <section className="page" data-testid="audit-page">
      <div className="page-head">
        <h1>Audit log</h1>
        {rangeProblem ? (
          <span className="button disabled" data-testid="audit-export" aria-disabled="true" title={rangeProblem}>
            Download CSV
          </span>
        ) : (
          <a className="button" data-testid="audit-export" href={auditExportUrl(filters)} download title="Every entry these filters match, not only this page">
            Download CSV{hasAuditFilters(filters) ? " (filtered)" : ""}
          </a>
        )}
      </div>

      <form className="filters" onSubmit={applyTyped}>
        <label>
          Person
          <input
            data-testid="audit-filter-actor"
            list="audit-people"
            placeholder="username"
            value={actor}
            onChange={(e) => setActor(e.target.value)}
            onBlur={() => applyTyped()}
          />
          <datalist id="audit-people">
            {(people.data ?? []).map((u) => (
              <option key={u.id} value={u.username} />
            ))}
          </datalist>
        </label>
        <label>
          Action
          <select data-testid="audit-filter-action" value={filters.action} onChange={(e) => change({ action: e.target.value })}>
            <option value="">Any</option>
            {(choices.data?.actions ?? []).map((a) => (
              <option key={a.value} value={a.value}>
                {a.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Object type
          <select data-testid="audit-filter-target-type" value={filters.targetType} onChange={(e) => change({ targetType: e.target.value })}>
            <option value="">Any</option>
            {(choices.data?.target_types ?? []).map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Object id
          <input data-testid="audit-filter-target-id" size={8} value={targetId} onChange={(e) => setTargetId(e.target.value)} onBlur={() => applyTyped()} />
        </label>
        <label>
          From
          <input type="date" data-testid="audit-filter-date-from" value={filters.dateFrom} onChange={(e) => change({ dateFrom: e.target.value })} />
        </label>
        <label>
          To
          <input type="date" data-testid="audit-filter-date-to" value={filters.dateTo} onChange={(e) => change({ dateTo: e.target.value })} />
        </label>
        <button type="submit" data-testid="audit-apply">
          Apply
        </button>
        {hasAuditFilters(filters) && (
          <button type="button" className="link" data-testid="audit-clear" onClick={() => apply(EMPTY_AUDIT_FILTERS)}>
            Clear filters
          </button>
        )}
      </form>
      <p className="hint">Dates are whole days in UTC, both ends included. Times below are in your browser's time zone.</p>

      {rangeProblem && <ErrorBanner error={rangeProblem} />}
      {entries.error && <ErrorBanner error={entries.error} onRetry={entries.reload} />}
      {entries.loading && !entries.data && !rangeProblem && <Loading what="the audit log" />}
      {entries.data && (
        <>
          <div className="audit-toolbar">
            <span className="muted" data-testid="audit-count" data-count={count}>
              {hasAuditFilters(filters) ? (count === 1 ? "1 entry matches" : `${count} entries match`) : count === 1 ? "1 entry" : `${count} entries`}
            </span>
          </div>
          <table className={`grid${entries.loading ? " stale" : ""}`}>
            <thead>
              <tr>
                <th>When</th>
                <th>Person</th>
                <th>Action</th>
                <th>Object</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {entries.data.results.map((entry) => {
                const path = targetPath(entry.target_type, entry.target_id);
                return (
                  <tr key={entry.id} data-testid="audit-row" data-action={entry.action} data-actor={entry.actor_username}>
                    <td className="nowrap" title={entry.at}>{formatDateTime(entry.at)}</td>
                    <td>
                      {entry.actor_username ? (
                        <button type="button" className="link" title="Show only this person" onClick={() => change({ actor: entry.actor_username })}>
                          {entry.actor_username}
                        </button>
                      ) : (
                        <span className="muted">nobody logged in</span>
                      )}
                    </td>
                    <td>{actionLabels.get(entry.action) ?? entry.action}</td>
                    <td className="mono small">
                      {entry.target_type ? (
                        <>
                          <button
                            type="button"
                            className="link"
                            title="Show only this object"
                            onClick={() => change({ targetType: entry.target_type, targetId: entry.target_id })}
                          >
                            {entry.target_type} #{entry.target_id}
                          </button>
                          {path && (
                            <>
                              {" "}
                              <Link to={path}>open</Link>
                            </>
                          )}
                        </>
                      ) : (
                        <span className="muted">–</span>
                      )}
                    </td>
                    <td className="audit-detail">{describeDetail(entry.detail)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {entries.data.results.length === 0 && <Empty>{hasAuditFilters(filters) ? "No entry matches these filters." : "The audit log is empty."}</Empty>}
          <Pager page={filters.page} count={count} onPage={(page) => apply({ ...filters, page })} />
        </>
      )}
    </section>
  );
}

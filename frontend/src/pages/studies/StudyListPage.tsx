import { useEffect, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { listStudies, listUsers } from "../../api/client";
import { useApi } from "../../api/useApi";
import type { StudyStatus } from "../../api/types";
import { Empty, ErrorBanner, Loading, Pager, StudyStatusBadge } from "../common";
import { STUDY_STATUS_LABELS } from "../labels";
import { canUpload, useUser } from "../session";
import { ExportLinks } from "./ExportLinks";
import type { StudyWithMembers } from "./studyApi";
import { KvasirImport } from "./KvasirImport";
import { EMPTY_FILTERS, filtersToSearch, hasFilters, parseFilters, toStudyQuery, withFilter, type StudyFilters } from "./filters";
import { NewStudyForm } from "./NewStudyForm";
import "./studies.css";

export function StudyListPage() {
  const user = useUser();
  const navigate = useNavigate();
  const [search, setSearch] = useSearchParams();
  const filters = parseFilters(search);
  const key = filtersToSearch(filters).toString();
  const studies = useApi((signal) => listStudies(toStudyQuery(filters), signal), [key]);
  const reviewers = useApi((signal) => listUsers("gastroenterologist", signal), []);
  const [creating, setCreating] = useState(false);

  const apply = (next: StudyFilters) => setSearch(filtersToSearch(next));

  useEffect(() => {
    document.title = "Studies – Polypscope";
  }, []);

  return (
    <section className="page">
      <div className="page-head">
        <h1>Studies</h1>
        {canUpload(user.role) && (
          <div className="study-actions">
            <KvasirImport onImported={(study) => void navigate(`/app/studies/${study.id}`)} />
            <button type="button" data-testid="new-study-toggle" onClick={() => setCreating((c) => !c)}>
              {creating ? "Close" : "New study"}
            </button>
          </div>
        )}
      </div>
      {creating && <NewStudyForm canAssign={user.role === "admin"} onCreated={(study) => void navigate(`/app/studies/${study.id}`)} />}

      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select
            data-testid="filter-status"
            value={filters.status}
            onChange={(e) => apply(withFilter(filters, { status: e.target.value as StudyStatus | "" }))}
          >
            <option value="">Any</option>
            {(Object.keys(STUDY_STATUS_LABELS) as StudyStatus[]).map((s) => (
              <option key={s} value={s}>
                {STUDY_STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" data-testid="filter-date-from" value={filters.dateFrom} onChange={(e) => apply(withFilter(filters, { dateFrom: e.target.value }))} />
        </label>
        <label>
          To
          <input type="date" data-testid="filter-date-to" value={filters.dateTo} onChange={(e) => apply(withFilter(filters, { dateTo: e.target.value }))} />
        </label>
        <label>
          Reviewer
          <select
            data-testid="filter-reviewer"
            value={filters.reviewer ?? ""}
            onChange={(e) => apply(withFilter(filters, { reviewer: e.target.value ? Number(e.target.value) : null }))}
          >
            <option value="">Anyone</option>
            {(reviewers.data ?? []).map((r) => (
              <option key={r.id} value={r.id}>
                {r.username}
              </option>
            ))}
          </select>
        </label>
        {hasFilters(filters) && (
          <button type="button" className="link" onClick={() => apply(EMPTY_FILTERS)}>
            Clear filters
          </button>
        )}
      </form>

      {studies.error && <ErrorBanner error={studies.error} onRetry={studies.reload} />}
      {studies.loading && !studies.data && <Loading what="studies" />}
      {studies.data && (
        <>
          <table className={`grid${studies.loading ? " stale" : ""}`}>
            <thead>
              <tr>
                <th>Patient</th>
                <th>Date</th>
                <th>Indication</th>
                <th>Status</th>
                <th>Assigned</th>
                <th className="num">Videos</th>
                <th className="num">Images</th>
                <th className="num">Events</th>
                <th className="num">Pending</th>
                <th>Export</th>
              </tr>
            </thead>
            <tbody>
              {studies.data.results.map((study) => (
                <tr key={study.id} data-testid="study-row" data-study-id={study.id} className="clickable" onClick={() => void navigate(`/app/studies/${study.id}`)}>
                  <td>
                    <Link to={`/app/studies/${study.id}`} onClick={(e) => e.stopPropagation()}>
                      {study.patient_pseudo_id}
                    </Link>
                  </td>
                  <td>{study.date}</td>
                  <td className="ellipsis">{study.indication}</td>
                  <td>
                    <StudyStatusBadge status={study.status} />
                  </td>
                  <td className="ellipsis small muted" title={assignedNames(study)}>
                    {assignedNames(study) || "–"}
                  </td>
                  <td className="num">{study.videos}</td>
                  <td className="num">{study.images}</td>
                  <td className="num">{study.events}</td>
                  <td className={`num${study.pending_events > 0 ? " pending" : ""}`}>{study.pending_events}</td>
                  <td>
                    <ExportLinks studyId={study.id} compact />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {studies.data.results.length === 0 && <Empty>{hasFilters(filters) ? "No study matches these filters." : "No studies yet."}</Empty>}
          <Pager page={filters.page} count={studies.data.count} onPage={(page) => apply({ ...filters, page })} />
        </>
      )}
    </section>
  );
}

/** The people assigned to a study, by name (the list answers them with every study). */
function assignedNames(study: Partial<StudyWithMembers>): string {
  return (study.members ?? []).map((m) => m.username).join(", ");
}

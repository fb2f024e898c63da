import { describe, expect, it } from "vitest";
import {
  EMPTY_AUDIT_FILTERS,
  auditExportUrl,
  auditListQuery,
  cleanText,
  dateRangeProblem,
  describeDetail,
  hasAuditFilters,
  parseAuditFilters,
  targetPath,
  withAuditFilter,
} from "./auditFilters";

describe("audit filters in the query string", () => {
  it("round-trips every filter under the API's names", () => {
    const search = new URLSearchParams("actor=dr-a&action=user_create&target_type=accounts.user&target_id=7&date_from=2026-12-01&date_to=2026-12-06&page=3");
    const filters = parseAuditFilters(search);
    expect(filters).toEqual({ actor: "dr-a", action: "user_create", targetType: "accounts.user", targetId: "7", dateFrom: "2026-12-01", dateTo: "2026-12-06", page: 3 });
    expect(auditListQuery(filters)).toBe("?" + search.toString());
  });

  it("drops malformed values instead of sending them on", () => {
    const filters = parseAuditFilters(new URLSearchParams("actor=%00%00&action=DROP%20TABLE&date_from=yesterday&page=-2&target_id=%00"));
    expect(filters).toEqual(EMPTY_AUDIT_FILTERS);
  });

  it("removes control characters and cuts to the server's lengths", () => {
    expect(cleanText(" a\u0000b\n ", 150)).toBe("ab");
    expect(parseAuditFilters(new URLSearchParams({ actor: "x".repeat(200) })).actor).toHaveLength(150);
  });

  it("leaves the page out of the CSV download and out of an empty query", () => {
    const filters = { ...EMPTY_AUDIT_FILTERS, action: "login", page: 4 };
    expect(auditExportUrl(filters)).toBe("/api/audit/export/?action=login");
    expect(auditExportUrl(EMPTY_AUDIT_FILTERS)).toBe("/api/audit/export/");
    expect(auditListQuery(EMPTY_AUDIT_FILTERS)).toBe("");
    expect(auditListQuery(filters)).toBe("?action=login&page=4");
  });

  it("encodes what people type", () => {
    expect(auditExportUrl({ ...EMPTY_AUDIT_FILTERS, actor: "-2+3 &x" })).toBe("/api/audit/export/?actor=-2%2B3+%26x");
  });

  it("goes back to page 1 when a filter changes", () => {
    const next = withAuditFilter({ ...EMPTY_AUDIT_FILTERS, page: 5 }, { actor: "ann" });
    expect(next.page).toBe(1);
    expect(hasAuditFilters(next)).toBe(true);
    expect(hasAuditFilters({ ...EMPTY_AUDIT_FILTERS, page: 5 })).toBe(false);
  });

  it("says when the dates are the wrong way round", () => {
    expect(dateRangeProblem({ ...EMPTY_AUDIT_FILTERS, dateFrom: "2026-12-06", dateTo: "2026-12-01" })).toMatch(/before/);
    expect(dateRangeProblem({ ...EMPTY_AUDIT_FILTERS, dateFrom: "2026-12-01", dateTo: "2026-12-01" })).toBeNull();
  });
});

describe("audit rows", () => {
  it("links objects that have a page", () => {
    expect(targetPath("studies.study", "12")).toBe("/app/studies/12");
    expect(targetPath("videos.video", "3")).toBe("/app/videos/3");
    expect(targetPath("accounts.user", "3")).toBe("/app/users");
    expect(targetPath("annotations.verdict", "3")).toBeNull();
    expect(targetPath("studies.study", "")).toBeNull();
  });

  it("writes the detail as one line", () => {
    expect(describeDetail({ role: "annotator", username: "fresh" })).toBe("username fresh · role annotator");
    expect(describeDetail({ to: "admin", from: "", username: "x" })).toBe("username x · (none) → admin");
    expect(describeDetail({ fields: ["role", "is_staff"], filters: { action: "login" }, is_new: true })).toBe(
      "fields role, is_staff · filters action login · is new true",
    );
    expect(describeDetail({})).toBe("");
  });
});

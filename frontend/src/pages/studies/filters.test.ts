import { expect, test } from "vitest";
import { EMPTY_FILTERS, filtersToSearch, hasFilters, parseFilters, toStudyQuery, withFilter } from "./filters";

test("filters round-trip through the query string", () => {
  const filters = { status: "in_review" as const, dateFrom: "2024-01-01", dateTo: "2024-03-31", reviewer: 7, page: 3 };
  const search = filtersToSearch(filters);
  expect(search.toString()).toBe("status=in_review&date_from=2024-01-01&date_to=2024-03-31&reviewer=7&page=3");
  expect(parseFilters(search)).toEqual(filters);
});

test("no filters make an empty query string", () => {
  expect(filtersToSearch(EMPTY_FILTERS).toString()).toBe("");
  expect(parseFilters(new URLSearchParams(""))).toEqual(EMPTY_FILTERS);
  expect(hasFilters(EMPTY_FILTERS)).toBe(false);
});

test("malformed values from a hand-edited URL are dropped", () => {
  const parsed = parseFilters(new URLSearchParams("status=bogus&date_from=yesterday&date_to=2024-1-1&reviewer=-2&page=0"));
  expect(parsed).toEqual(EMPTY_FILTERS);
  expect(parseFilters(new URLSearchParams("reviewer=abc&page=x")).reviewer).toBeNull();
});

test("changing a filter goes back to page 1", () => {
  const onPage4 = { ...EMPTY_FILTERS, page: 4 };
  expect(withFilter(onPage4, { status: "open" })).toEqual({ ...EMPTY_FILTERS, status: "open", page: 1 });
});

test("filters map onto the API's parameter names", () => {
  expect(toStudyQuery({ status: "closed", dateFrom: "2024-05-01", dateTo: "", reviewer: null, page: 2 })).toEqual({
    status: "closed",
    date_from: "2024-05-01",
    date_to: "",
    reviewer: null,
    page: 2,
  });
});

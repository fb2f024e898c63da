import { expect, test } from "vitest";
import { errorDetail, query, readCookie } from "./http";

test("the CSRF token is read from its cookie among others", () => {
  expect(readCookie("sessionid=abc; csrftoken=t%3Dk; theme=dark", "csrftoken")).toBe("t=k");
  expect(readCookie("xcsrftoken=no", "csrftoken")).toBeNull();
  expect(readCookie("", "csrftoken")).toBeNull();
});

test("an error shows the API's detail", () => {
  expect(errorDetail(400, { detail: "wrong username or password" })).toBe("wrong username or password");
});

test("validation errors become one readable line", () => {
  expect(errorDetail(400, { date: ["Enter a valid date."], non_field_errors: ["Nope."] })).toBe("date: Enter a valid date.; Nope.");
});

test("a body without a message falls back on the status", () => {
  expect(errorDetail(413, null)).toBe("The file is too large.");
  expect(errorDetail(502, "<html>")).toBe("Server error (502).");
  expect(errorDetail(0, null)).toBe("The server could not be reached.");
});

test("query strings leave out unset values", () => {
  expect(query({ status: "open", date_from: "", reviewer: null, page: 2 })).toBe("?status=open&page=2");
  expect(query({ a: undefined })).toBe("");
});

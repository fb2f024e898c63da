import { expect, test } from "vitest";
import { ApiError } from "../../api/http";
import { authorName, chooseBase, conflictMessage, conflictRevision } from "./revisions";

const revision = { id: 12, based_on: 11, author: "dr_lee", created_at: "2024-05-03T10:04:00Z", rle: "abc", note: "" };
const state = { height: 2, width: 2, prediction: "pred", ground_truth: "gt", current: revision };

test("the editor starts from the current revision, then ground truth, then prediction, then empty", () => {
  expect(chooseBase(state)).toEqual({ source: "revision", rle: "abc", revisionId: 12 });
  expect(chooseBase({ ...state, current: null })).toEqual({ source: "ground_truth", rle: "gt", revisionId: null });
  expect(chooseBase({ ...state, current: null, ground_truth: null })).toEqual({ source: "prediction", rle: "pred", revisionId: null });
  expect(chooseBase({ ...state, current: null, ground_truth: null, prediction: null })).toEqual({ source: "empty", rle: null, revisionId: null });
});

test("a 409 yields the newer revision it names", () => {
  const error = new ApiError(409, "someone else saved a newer revision", "conflict", { detail: "x", code: "conflict", current: revision });
  expect(conflictRevision(error)).toEqual(revision);
});

test("other errors are not conflicts", () => {
  expect(conflictRevision(new ApiError(400, "bad rle"))).toBeNull();
  expect(conflictRevision(new ApiError(409, "processing", null, { detail: "processing" }))).toBeNull();
  expect(conflictRevision(new Error("network"))).toBeNull();
});

test("the conflict message names who saved and when, and says the edit is kept", () => {
  expect(conflictMessage(revision, () => "10:04")).toBe("Someone else (dr_lee) saved a newer revision at 10:04. Your edit is kept.");
});

test("authors read as names whatever shape the API gives", () => {
  expect(authorName("ann")).toBe("ann");
  expect(authorName(5)).toBe("user #5");
  expect(authorName({ id: 5, username: "ann" })).toBe("ann");
  expect(authorName(null)).toBe("unknown");
});

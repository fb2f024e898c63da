import { expect, test } from "vitest";
import { sameMembers, toggleMember } from "./members";
import { studyDocumentTitle, studyName } from "./studyNames";

test("toggling adds in id order and removes", () => {
  expect(toggleMember([3, 9], 5)).toEqual([3, 5, 9]);
  expect(toggleMember([3, 5, 9], 5)).toEqual([3, 9]);
  expect(toggleMember([], 1)).toEqual([1]);
});

test("selections compare as sets", () => {
  expect(sameMembers([1, 2], [2, 1])).toBe(true);
  expect(sameMembers([1, 2], [1])).toBe(false);
  expect(sameMembers([], [])).toBe(true);
  expect(sameMembers([1, 2], [1, 3])).toBe(false);
});

test("a study is named by its pseudonym and date, never its id", () => {
  const study = { patient_pseudo_id: "PX-0001", date: "2026-11-02" };
  expect(studyName(study)).toBe("PX-0001 · 2026-11-02");
  expect(studyDocumentTitle(study, "Report")).toBe("Report: PX-0001 · 2026-11-02 – Polypscope");
  expect(studyDocumentTitle(study)).toBe("PX-0001 · 2026-11-02 – Polypscope");
});

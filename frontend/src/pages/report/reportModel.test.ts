import { expect, test } from "vitest";
import type { ReportEvent, StudyReport } from "../studies/studyApi";
import { eventSpan, namesLine, reportState, summaryLine, verdictWord } from "./reportModel";

const event: ReportEvent = {
  id: 1, start_index: 6, end_index: 12, peak_index: 9, peak_score: 0.91, start_s: 1.2, end_s: 2.6,
  thumbnail: "/api/videos/1/frames/9/image.jpg?width=480",
  mask: "/api/videos/1/frames/9/mask.png", verdict: null, earlier_verdicts: 0,
};

const summary: StudyReport["summary"] = {
  videos: 1, events: 3, confirmed: 2, false_positive: 1, uncertain: 0, pending: 0, images: 0,
  images_with_ground_truth: 0, images_corrected: 0,
};

function report(status: "open" | "closed", pending: number): StudyReport {
  return {
    study: { id: 1, patient_pseudo_id: "PX-1", date: "2026-11-02", indication: "", status, owner: "dr-a" },
    signed_off: status === "closed" ? { by: "dr-a", at: "2026-11-02T10:00:00Z" } : null,
    generated_at: "2026-11-02T10:00:00Z", members: [], reviewers: [], model_versions: [],
    summary: { ...summary, pending }, videos: [],
  };
}

test("an event says where it lies in time and frames", () => {
  expect(eventSpan(event)).toBe("0:01.20–0:02.60 (frames 6–12, peak 9)");
});

test("verdicts read as words, a missing one as pending", () => {
  expect(verdictWord("confirmed")).toBe("Polyp confirmed");
  expect(verdictWord("false_positive")).toBe("False positive");
  expect(verdictWord(null)).toBe("Pending: no verdict");
});

test("the summary counts events by verdict", () => {
  expect(summaryLine(summary)).toBe("3 events in 1 video: 2 confirmed, 1 false positive, 0 uncertain, 0 pending");
  expect(summaryLine({ ...summary, events: 1, videos: 2 })).toMatch(/^1 event in 2 videos:/);
});

test("only a closed study's report is signed off, and it says when events are still pending", () => {
  expect(reportState(report("open", 0))).toBe("draft");
  expect(reportState(report("closed", 0))).toBe("signed_off");
  expect(reportState(report("closed", 2))).toBe("signed_off_with_pending");
});

test("names join, none is a dash", () => {
  expect(namesLine(["dr-a", "dr-b"])).toBe("dr-a, dr-b");
  expect(namesLine([])).toBe("–");
});

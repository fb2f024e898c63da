// The sign-off report's pure part: what each event and the summary say, in words a clinician reads on paper.
import type { VerdictValue } from "../../api/types";
import { formatTime } from "../../timeline/format";
import type { ReportEvent, StudyReport } from "../studies/studyApi";

/** Where an event lies in its video: "0:01.20–0:02.40 (frames 6–12, peak 9)". */
export function eventSpan(event: ReportEvent): string {
  return `${formatTime(event.start_s)}–${formatTime(event.end_s)} (frames ${event.start_index}–${event.end_index}, peak ${event.peak_index})`;
}

/** The verdict's value, or "Pending" for an event nobody judged. */
export function verdictWord(value: VerdictValue | null): string {
  switch (value) {
    case "confirmed":
      return "Polyp confirmed";
    case "false_positive":
      return "False positive";
    case "uncertain":
      return "Uncertain";
    default:
      return "Pending: no verdict";
  }
}

/** The summary line: "3 events: 2 confirmed, 1 false positive, 0 uncertain, 0 pending". */
export function summaryLine(summary: StudyReport["summary"]): string {
  const s = summary;
  const events = `${s.events} event${s.events === 1 ? "" : "s"} in ${s.videos} video${s.videos === 1 ? "" : "s"}`;
  return `${events}: ${s.confirmed} confirmed, ${s.false_positive} false positive, ${s.uncertain} uncertain, ${s.pending} pending`;
}

/** Whether the report is final: the study is closed (signed off) and no finished video's event awaits a verdict. */
export function reportState(report: StudyReport): "signed_off" | "signed_off_with_pending" | "draft" {
  if (report.study.status !== "closed") return "draft";
  return report.summary.pending > 0 ? "signed_off_with_pending" : "signed_off";
}

/** The reviewers' names as one line ("dr-a, dr-b"), or a dash when no verdict was given. */
export function namesLine(names: readonly string[]): string {
  return names.length > 0 ? names.join(", ") : "–";
}

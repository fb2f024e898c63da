// Words shown for the API's enum values, in one place.
import type { CorrectionReason, Role, StudyStatus, TrainingRunStatus, VerdictValue, VideoStatus } from "../api/types";

export const ROLE_LABELS: Record<Role, string> = {
  gastroenterologist: "Gastroenterologist",
  annotator: "Annotator",
  admin: "Admin",
};

export const STUDY_STATUS_LABELS: Record<StudyStatus, string> = {
  open: "Open",
  in_review: "In review",
  closed: "Closed",
};

export const VIDEO_STATUS_LABELS: Record<VideoStatus, string> = {
  queued: "Queued",
  processing: "Processing",
  done: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

export const VERDICT_LABELS: Record<VerdictValue, string> = {
  confirmed: "Confirmed",
  false_positive: "False positive",
  uncertain: "Uncertain",
};

export const REASON_LABELS: Record<CorrectionReason, string> = {
  rejected_event: "Event judged a false positive",
  uncertain_event: "Event judged uncertain",
  temporal_inconsistency: "Mask appears, vanishes or jumps between frames",
  low_confidence: "Model unsure (score 0.3–0.7)",
  no_ground_truth: "No ground truth yet",
};

export const RUN_STATUS_LABELS: Record<TrainingRunStatus, string> = {
  queued: "Queued",
  running: "Training",
  evaluating: "Evaluating",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
};

// Wire types of the API the review UI uses; frontend/API.md is the contract they mirror.

export type Role = "gastroenterologist" | "annotator" | "admin";

export interface User {
  id: number;
  username: string;
  role: Role;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export type StudyStatus = "open" | "in_review" | "closed";

export interface Study {
  id: number;
  patient_pseudo_id: string;
  date: string;
  indication: string;
  status: StudyStatus;
  owner: number | string | null;
  created_at: string;
  videos: number;
  images: number;
  events: number;
  pending_events: number;
}

export interface NewStudy {
  patient_pseudo_id: string;
  date: string;
  indication: string;
}

export type VideoStatus = "queued" | "processing" | "done" | "failed" | "cancelled";

export interface Video {
  id: number;
  study: number;
  original_name: string;
  status: VideoStatus;
  frames_done: number;
  frame_count: number;
  fps: number;
  duration_s: number;
  width: number;
  height: number;
  size_bytes: number;
  model_version: string | null;
  error: string;
  created_at: string;
  processing_fps: number | null;
  events: number;
  pending_events: number;
}

export interface StillImage {
  id: number;
  study: number;
  original_name: string;
  width: number;
  height: number;
  has_ground_truth: boolean;
  revisions: number;
}

/** Per-frame model output as parallel arrays: entry k describes frame index[k]. */
export interface Timeline {
  video: number;
  fps: number;
  frame_count: number;
  frames_done: number;
  model_version: string | null;
  index: number[];
  /** Polyp score 0..1. */
  score: number[];
  /** Fraction of the frame covered by the mask, 0..1. */
  area: number[];
  flagged: (0 | 1)[];
}

export type VerdictValue = "confirmed" | "false_positive" | "uncertain";

export interface Verdict {
  id: number;
  value: VerdictValue;
  note: string;
  reviewer: number | string | null;
  created_at: string;
}

export interface PolypEvent {
  id: number;
  video: number;
  start_index: number;
  end_index: number;
  peak_index: number;
  peak_score: number;
  start_s: number;
  end_s: number;
  verdict: Verdict | null;
}

export interface QueuedEvent extends PolypEvent {
  study: number;
  patient_pseudo_id: string;
  video_name: string;
}

/** RLE strings (COCO compressed counts) keyed by frame index, for frames start..end-1. */
export interface MaskChunk {
  height: number;
  width: number;
  start: number;
  end: number;
  masks: Record<string, string>;
}

/** An event as the processing websocket reports it, before it has an id. */
export interface LiveEvent {
  start: number;
  end: number;
  peak: number;
  peak_score: number;
}

export interface ProgressMessage {
  type: "progress";
  video: number;
  status: VideoStatus;
  frames_done: number;
  frame_count: number;
  fps: number | null;
  eta_s: number | null;
  events: LiveEvent[] | null;
  error: string | null;
}

export interface Revision {
  id: number;
  based_on: number | null;
  author: number | string | null;
  created_at: string;
  rle: string;
  note: string;
}

export interface MaskState {
  height: number;
  width: number;
  prediction: string | null;
  ground_truth: string | null;
  current: Revision | null;
}

export interface NewRevision {
  based_on: number | null;
  rle: string;
  note: string;
}

export type CorrectionReason = "rejected_event" | "uncertain_event" | "low_confidence" | "no_ground_truth";

export interface CorrectionItem {
  kind: "frame" | "image";
  video: number | null;
  frame: number | null;
  image: number | null;
  study: number;
  reason: CorrectionReason;
  score: number | null;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface ModelVersion {
  id: number;
  version: string;
  sha256: string;
  metrics: Record<string, JsonValue>;
  config: Record<string, JsonValue>;
  is_active: boolean;
  created_at: string;
}

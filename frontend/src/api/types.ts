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
  /** The model version whose prediction this revision corrected, and the Dice between the two (provenance). */
  model_version?: number | null;
  prediction_dice?: number | null;
  /** person: drawn or accepted by a person (a label); propagated: a proposal from a corrected keyframe. */
  kind?: "person" | "propagated";
  propagated_from?: number | null;
  propagated_from_frame?: number | null;
  blended_with?: number | null;
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

export type CorrectionReason = "rejected_event" | "uncertain_event" | "temporal_inconsistency" | "low_confidence" | "no_ground_truth";

export interface CorrectionItem {
  kind: "frame" | "image";
  video: number | null;
  frame: number | null;
  image: number | null;
  study: number;
  reason: CorrectionReason;
  score: number | null;
  patient_pseudo_id?: string;
  /** The video's or image's file name. */
  name?: string;
  /** The frame's time in the video, seconds (null for an image). */
  time_s?: number | null;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A model version and its lineage: `parent` is the version it was fine-tuned from (null: shipped). */
export interface ModelVersion {
  id: number;
  version: string;
  sha256: string;
  is_active: boolean;
  created_at: string;
  metrics: Record<string, JsonValue>;
  config: Record<string, JsonValue>;
  parent: VersionRef | null;
  snapshot: number | null;
  training_run: number | null;
  /** The model card's test numbers (the shipped model): measured on `dataset`/`split`. */
  card: ModelCard | null;
  gate: GateResult | null;
  /** Dice of this version's predictions against people's first corrections of them. */
  corrections: { count: number; mean_dice: number | null };
  promoted_at: string | null;
  promoted_by: string | null;
  override_reason: string;
}

export interface VersionRef {
  id: number;
  version: string;
}

export interface ModelCard {
  dataset: string;
  split: string;
  dice: number | null;
  iou: number | null;
  se: number | null;
  sp: number | null;
  images: number;
}

export interface GateResult {
  passed: boolean;
  report: GateReport;
}

/** The metrics the gate compares; null: not measured. */
export interface GateMetrics {
  dice: number | null;
  iou: number | null;
  se: number | null;
  sp: number | null;
  event_sensitivity: number | null;
  base_test_dice: number | null;
}

export type GateMetricKey = keyof GateMetrics;

export interface GateReport {
  passed: boolean;
  rule: { min_dice_gain: number; require_ci_above_zero: boolean; max_drop: number; guarded: string[] };
  holdout: { images: number; patients: number };
  candidate: GateMetrics;
  active: GateMetrics;
  /** Candidate minus active Dice over the holdout, with its confidence interval. */
  /** resampled: what the bootstrap drew, whole holdout patients (3 or more) or single images. */
  dice_diff: { mean: number; lo: number; hi: number; samples?: number; resampled?: "patients" | "images" };
  per_patient: PatientDice[];
  checks: GateCheck[];
}

export interface PatientDice {
  patient: string;
  frames: number;
  candidate_dice: number;
  active_dice: number;
}

export interface GateCheck {
  name: string;
  passed: boolean;
  detail: string;
}

export type TrainingRunStatus = "queued" | "running" | "evaluating" | "succeeded" | "failed" | "cancelled";

export interface TrainingConfig {
  epochs: number;
  lr: number;
  size: number;
  batch_size: number;
  replay_ratio: number;
}

export interface NewTrainingRun extends Partial<TrainingConfig> {
  base_model?: number;
  exclude_studies?: number[];
}

export interface TrainingSnapshot {
  id: number;
  sha256: string;
  examples: number;
  train_examples: number;
  holdout_examples: number;
  hard_negatives: number;
  replay_examples: number;
  train_patients: string[];
  holdout_patients: string[];
  excluded_studies: number[];
}

export interface TrainingProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number | null;
  holdout_dice: number | null;
  phase: string;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  holdout_dice: number | null;
  seconds: number;
}

export interface TrainingRun {
  id: number;
  status: TrainingRunStatus;
  base_model: VersionRef;
  /** The model version this run produced (registered once trained), else null. */
  candidate: number | null;
  config: TrainingConfig;
  snapshot: TrainingSnapshot | null;
  progress: TrainingProgress;
  history: EpochRecord[];
  gate: GateResult | null;
  started_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string;
}

/** What the training run websocket sends: the whole run, each time. */
export interface RunMessage {
  type: "run";
  run: TrainingRun;
}

// The study endpoints this folder and the report page add (frontend/API.md, "Studies"): members, still images
// added to a study, the Kvasir-SEG import, exports, resuming a cancelled video, the sign-off report.
import { get, post, query, request, uploadFile, uploadFiles, type UploadHandle } from "../../api/http";
import type { NewStudy, Role, StillImage, Study, StudyStatus, VerdictValue, Video, VideoStatus } from "../../api/types";

export interface Member {
  id: number;
  username: string;
  role: Role;
}

/** A study as GET /api/studies/{id}/ answers it, with the people assigned to it. */
export interface StudyWithMembers extends Study {
  members: Member[];
}

export type ExportFormat = "kvasir" | "coco";

/** A new study, visible at once to the people assigned (members: admins only). */
export const createStudyWithMembers = (study: NewStudy, members: number[]): Promise<StudyWithMembers> =>
  post("/api/studies/", members.length > 0 ? { ...study, members } : study);
export const getStudyWithMembers = (id: number, signal?: AbortSignal): Promise<StudyWithMembers> => get(`/api/studies/${id}/`, signal);
export const setStudyStatusWithMembers = (id: number, status: StudyStatus): Promise<StudyWithMembers> =>
  request<StudyWithMembers>("PATCH", `/api/studies/${id}/`, { body: { status } });
/** Exactly these gastroenterologists and annotators see the study (admins only). */
export const setStudyMembers = (id: number, members: number[]): Promise<StudyWithMembers> =>
  request<StudyWithMembers>("PUT", `/api/studies/${id}/members/`, { body: { members } });
/** A download link: the browser's session cookie authenticates it. */
export const studyExportUrl = (id: number, format: ExportFormat): string => `/api/studies/${id}/export/${query({ format })}`;
export const importKvasirZip = (file: File, onProgress: (fraction: number) => void): UploadHandle<Study> =>
  uploadFile<Study>("/api/studies/import/", "file", file, onProgress);
/** Continue a cancelled video after its last stored frame. */
export const resumeVideo = (id: number): Promise<Video> => post(`/api/videos/${id}/resume/`, {});
export const getStudyReport = (id: number, signal?: AbortSignal): Promise<StudyReport> => get(`/api/studies/${id}/report/`, signal);

/** Several files in one multipart request (field `files`), with the upload's progress (fetch cannot report it). */
export const uploadStudyImages = (
  studyId: number,
  files: readonly File[],
  onProgress: (fraction: number) => void,
): UploadHandle<{ images: StillImage[] }> => uploadFiles(`/api/studies/${studyId}/images/`, "files", files, onProgress);

// The sign-off report (GET /api/studies/{id}/report/).
export interface ReportVerdict {
  value: VerdictValue;
  note: string;
  reviewer: string;
  created_at: string;
}

export interface ReportEvent {
  id: number;
  start_index: number;
  end_index: number;
  peak_index: number;
  peak_score: number;
  start_s: number;
  end_s: number;
  /** URL of the peak frame as a JPEG preview. */
  thumbnail: string;
  /** URL of the model's mask of the peak frame (0/255 PNG at the video's size). */
  mask: string;
  verdict: ReportVerdict | null;
  earlier_verdicts: number;
}

export interface ReportVideo {
  id: number;
  original_name: string;
  status: VideoStatus;
  frame_count: number;
  fps: number;
  duration_s: number;
  model_version: string | null;
  finished_at: string | null;
  events: ReportEvent[];
}

export interface StudyReport {
  study: { id: number; patient_pseudo_id: string; date: string; indication: string; status: StudyStatus; owner: string };
  /** Who closed the study and when (null while it is not closed). */
  signed_off: { by: string | null; at: string | null } | null;
  generated_at: string;
  members: Member[];
  reviewers: string[];
  model_versions: { id: number; version: string; videos: number; images: number }[];
  summary: {
    videos: number;
    events: number;
    confirmed: number;
    false_positive: number;
    uncertain: number;
    pending: number;
    images: number;
    images_with_ground_truth: number;
    images_corrected: number;
  };
  videos: ReportVideo[];
}

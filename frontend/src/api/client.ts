// One function per endpoint of frontend/API.md.
import { get, getList, post, query, request, uploadFile, type UploadHandle } from "./http";
import type {
  CorrectionItem,
  MaskChunk,
  MaskState,
  ModelVersion,
  NewRevision,
  NewTrainingRun,
  NewStudy,
  Page,
  PolypEvent,
  QueuedEvent,
  Revision,
  StillImage,
  Study,
  StudyStatus,
  Timeline,
  TrainingConfig,
  TrainingRun,
  User,
  Verdict,
  VerdictValue,
  Video,
} from "./types";

// Session
export const getSession = (): Promise<User> => request<User>("GET", "/api/auth/session/", { authRedirect: false });
export const login = (username: string, password: string): Promise<User> =>
  request<User>("POST", "/api/auth/session/", { body: { username, password }, authRedirect: false });
export const logout = (): Promise<null> => request<null>("DELETE", "/api/auth/session/", { authRedirect: false });

// Studies
export interface StudyQuery {
  status?: StudyStatus | "";
  date_from?: string;
  date_to?: string;
  reviewer?: number | null;
  page?: number;
}
export const listStudies = (filters: StudyQuery, signal?: AbortSignal): Promise<Page<Study>> =>
  get(`/api/studies/${query({ ...filters, page: filters.page && filters.page > 1 ? filters.page : null })}`, signal);
export const listUsers = (role: User["role"], signal?: AbortSignal): Promise<User[]> => getList(`/api/users/${query({ role })}`, signal);
export const createStudy = (study: NewStudy): Promise<Study> => post("/api/studies/", study);
export const getStudy = (id: number, signal?: AbortSignal): Promise<Study> => get(`/api/studies/${id}/`, signal);
export const setStudyStatus = (id: number, status: StudyStatus): Promise<Study> =>
  request<Study>("PATCH", `/api/studies/${id}/`, { body: { status } });
export const listStudyVideos = (id: number, signal?: AbortSignal): Promise<Page<Video>> =>
  get(`/api/studies/${id}/videos/${query({ page_size: 500 })}`, signal);
export const listStudyImages = (id: number, signal?: AbortSignal): Promise<Page<StillImage>> =>
  get(`/api/studies/${id}/images/${query({ page_size: 500 })}`, signal);
export const uploadVideo = (studyId: number, file: File, onProgress: (fraction: number) => void): UploadHandle<Video> =>
  uploadFile<Video>(`/api/studies/${studyId}/videos/`, "file", file, onProgress);

// Videos
export const getVideo = (id: number, signal?: AbortSignal): Promise<Video> => get(`/api/videos/${id}/`, signal);
export const getTimeline = (id: number, signal?: AbortSignal): Promise<Timeline> => get(`/api/videos/${id}/timeline/`, signal);
export const listEvents = (id: number, signal?: AbortSignal): Promise<PolypEvent[]> => getList(`/api/videos/${id}/events/`, signal);
export const getMaskChunk = (id: number, start: number, end: number, signal?: AbortSignal): Promise<MaskChunk> =>
  get(`/api/videos/${id}/masks/${query({ start, end })}`, signal);
export const cancelVideo = (id: number): Promise<Video> => post(`/api/videos/${id}/cancel/`, {});
/** Process a finished video again with the active model (admins); its verdicts and corrections stay. */
export const reprocessVideo = (id: number): Promise<Video> => post(`/api/videos/${id}/reprocess/`, {});

export const videoFileUrl = (id: number): string => `/api/videos/${id}/file/`;
export const frameImageUrl = (id: number, index: number, width?: number): string =>
  `/api/videos/${id}/frames/${index}/image.jpg${query({ width })}`;
/** The still image; with `width`, a JPEG preview scaled down to that width (thumbnails). */
export const stillImageUrl = (id: number, width?: number): string =>
  width === undefined ? `/api/images/${id}/image.png` : `/api/images/${id}/image.png?width=${width}`;
export const videoSocketUrl = (id: number, location: { protocol: string; host: string }): string =>
  socketUrl(`/ws/videos/${id}/`, location);

// Verdicts
export const postVerdict = (eventId: number, value: VerdictValue, note: string): Promise<Verdict> =>
  post(`/api/events/${eventId}/verdicts/`, { value, note });
export const listReviewQueue = (page: number, signal?: AbortSignal): Promise<Page<QueuedEvent>> =>
  get(`/api/review-queue/${query({ page: page > 1 ? page : null })}`, signal);

// Mask revisions. A target is a video frame or a still image; each has its own URL prefix.
export type MaskTarget = { kind: "frame"; video: number; frame: number } | { kind: "image"; image: number };

export function targetPrefix(target: MaskTarget): string {
  return target.kind === "frame" ? `/api/videos/${target.video}/frames/${target.frame}/` : `/api/images/${target.image}/`;
}
/** The lossless picture the editor paints over. */
export function targetImageUrl(target: MaskTarget): string {
  return target.kind === "frame" ? `${targetPrefix(target)}image.png` : stillImageUrl(target.image);
}
export const getMaskState = (target: MaskTarget, signal?: AbortSignal): Promise<MaskState> => get(`${targetPrefix(target)}mask/`, signal);
export const listRevisions = (target: MaskTarget, signal?: AbortSignal): Promise<Revision[]> =>
  getList(`${targetPrefix(target)}revisions/`, signal);
export const postRevision = (target: MaskTarget, revision: NewRevision): Promise<Revision> =>
  post(`${targetPrefix(target)}revisions/`, revision);
export const listCorrectionQueue = (page: number, signal?: AbortSignal): Promise<Page<CorrectionItem>> =>
  get(`/api/correction-queue/${query({ page: page > 1 ? page : null })}`, signal);

// Models
export const listModels = (signal?: AbortSignal): Promise<ModelVersion[]> => getList("/api/models/", signal);
/** Make a version the active one (also the rollback). 409 code gate_failed / no_gate: retry with a reason. */
export const promoteModel = (id: number, overrideReason?: string): Promise<ModelVersion> =>
  post(`/api/models/${id}/promote/`, overrideReason ? { override_reason: overrideReason } : {});
export const checkpointUrl = (id: number): string => `/api/models/${id}/checkpoint/`;

// Fine-tuning runs
export const getTrainingDefaults = (signal?: AbortSignal): Promise<TrainingConfig> => get("/api/training-runs/defaults/", signal);
export const listTrainingRuns = (page: number, signal?: AbortSignal): Promise<Page<TrainingRun>> =>
  get(`/api/training-runs/${query({ page: page > 1 ? page : null })}`, signal);
export const createTrainingRun = (run: NewTrainingRun): Promise<TrainingRun> => post("/api/training-runs/", run);
export const getTrainingRun = (id: number, signal?: AbortSignal): Promise<TrainingRun> => get(`/api/training-runs/${id}/`, signal);
export const cancelTrainingRun = (id: number): Promise<TrainingRun> => post(`/api/training-runs/${id}/cancel/`, {});
/** Every study, for the fine-tune form's exclusion list (500 is the API's largest page). */
export const listAllStudies = (signal?: AbortSignal): Promise<Page<Study>> => get(`/api/studies/${query({ page_size: 500 })}`, signal);

/** ws(s)://host/ws/<path>: the scheme follows the page's, so https pages use wss. */
export const socketUrl = (path: string, location: { protocol: string; host: string }): string =>
  `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${path}`;
export const trainingRunSocketUrl = (id: number, location: { protocol: string; host: string }): string =>
  socketUrl(`/ws/training-runs/${id}/`, location);

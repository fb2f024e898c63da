// Mask propagation endpoints (frontend/API.md, "Mask propagation"): propose masks for the neighbours of a corrected
// frame, follow the request, list a video's proposals, accept a range of them.
import { get, getList, post } from "./http";
import type { Revision } from "./types";

export type PropagationStatus = "queued" | "running" | "done" | "failed";
export type StopReason = "limit" | "end" | "scene_change" | "low_consistency" | "keyframe";

export interface PropagationDirection {
  /** [first, last] frame reached (in walk order), empty when none. */
  frames: number[];
  stop_reason: StopReason;
  /** The person-corrected frame this direction ran up to (blended with), or null. */
  until: number | null;
}

export interface Propagation {
  id: number;
  task_id: number;
  video: number;
  frame_index: number;
  source: number;
  requested_by: string;
  forward: number;
  backward: number;
  status: PropagationStatus;
  frames_total: number;
  frames_done: number;
  progress: number;
  result: { forward?: PropagationDirection; backward?: PropagationDirection; proposals?: number; seconds?: number };
  error: string;
  created_at: string;
  finished_at: string | null;
}

export interface Proposal {
  frame: number;
  revision: number;
  propagated_from: number;
  blended_with: number | null;
  created_at: string;
}

export const startPropagation = (video: number, frame: number, forward: number, backward: number): Promise<Propagation> =>
  post(`/api/videos/${video}/frames/${frame}/propagate/`, { forward, backward });
export const getPropagation = (id: number, signal?: AbortSignal): Promise<Propagation> => get(`/api/propagations/${id}/`, signal);
export const listProposals = (video: number, signal?: AbortSignal): Promise<Proposal[]> =>
  getList(`/api/videos/${video}/proposals/`, signal);
export const acceptProposals = (video: number, first: number, last: number): Promise<Revision[]> =>
  post(`/api/videos/${video}/proposals/accept/`, { first, last });

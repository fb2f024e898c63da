// What the mask editor page starts from and how it reads a save conflict. Pure; the page does the I/O.
import { ApiError } from "../../api/http";
import type { MaskState, Revision } from "../../api/types";

export type BaseSource = "revision" | "ground_truth" | "prediction" | "empty";

export interface Base {
  source: BaseSource;
  /** RLE to decode, null for an empty mask. */
  rle: string | null;
  /** What a save is based_on: the current revision's id, null when there is none yet. */
  revisionId: number | null;
}

/** The order: the current revision, else ground truth, else the model's prediction, else empty. */
export function chooseBase(state: MaskState): Base {
  if (state.current) return { source: "revision", rle: state.current.rle, revisionId: state.current.id };
  if (state.ground_truth) return { source: "ground_truth", rle: state.ground_truth, revisionId: null };
  if (state.prediction) return { source: "prediction", rle: state.prediction, revisionId: null };
  return { source: "empty", rle: null, revisionId: null };
}

export const BASE_LABELS: Record<BaseSource, string> = {
  revision: "latest revision",
  ground_truth: "ground truth",
  prediction: "model prediction",
  empty: "empty mask",
};

function isRevision(value: unknown): value is Revision {
  if (!value || typeof value !== "object") return false;
  const r = value as Partial<Revision>;
  return typeof r.id === "number" && typeof r.rle === "string";
}

/** The newer revision a 409 names (`current` in its body), or null when the error is not such a conflict. */
export function conflictRevision(error: unknown): Revision | null {
  if (!(error instanceof ApiError) || error.status !== 409) return null;
  const body = error.body;
  if (body && typeof body === "object" && "current" in body) {
    const current = (body as { current: unknown }).current;
    if (isRevision(current)) return current;
  }
  return null;
}

/** An author as the API sends it: a username, an id, or an object with one. */
export function authorName(author: unknown): string {
  if (typeof author === "string" && author) return author;
  if (typeof author === "number") return `user #${author}`;
  if (author && typeof author === "object") {
    const a = author as { username?: unknown; id?: unknown };
    if (typeof a.username === "string") return a.username;
    if (typeof a.id === "number") return `user #${a.id}`;
  }
  return "unknown";
}

export function conflictMessage(theirs: Revision, when: (iso: string) => string): string {
  return `Someone else (${authorName(theirs.author)}) saved a newer revision at ${when(theirs.created_at)}. Your edit is kept.`;
}

// The two reads the review page makes beyond api/client.ts: an event's verdict history, and the review queue
// in large pages (to find the next video with events awaiting a verdict). Endpoints of frontend/API.md.
import { get, getList, query } from "../../api/http";
import type { Page, QueuedEvent, Verdict } from "../../api/types";

/** A verdict as GET /api/events/{id}/verdicts/ lists it: the reviewer's username. */
export interface HistoryVerdict extends Verdict {
  event: number;
}

/** GET /api/events/{id}/verdicts/: every verdict given on the event, newest first. */
export const listVerdicts = (eventId: number, signal?: AbortSignal): Promise<HistoryVerdict[]> =>
  getList(`/api/events/${eventId}/verdicts/`, signal);

/** The API's largest page: one request covers the queue of a normal day. */
export const QUEUE_PAGE_SIZE = 500;

/** GET /api/review-queue/: events awaiting a verdict, oldest video first, in video order. */
export const getReviewQueuePage = (page: number, signal?: AbortSignal): Promise<Page<QueuedEvent>> =>
  get(`/api/review-queue/${query({ page: page > 1 ? page : null, page_size: QUEUE_PAGE_SIZE })}`, signal);

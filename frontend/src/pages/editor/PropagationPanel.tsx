// The editor's propagation panel (video frames, annotators): propagate a saved correction to its neighbours with a
// progress bar, see which frames hold proposals, and accept a run of them in one action.
import { useCallback, useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import {
  acceptProposals,
  getPropagation,
  listProposals,
  startPropagation,
  type Propagation,
  type Proposal,
} from "../../api/propagation";
import { toApiError } from "../../api/useApi";
import type { Revision } from "../../api/types";
import { describeResult, plural, reachedRange, runAround } from "./proposals";
import "./propagation.css";

const POLL_MS = 400;
const DEFAULT_FRAMES = 25; // one second of a 25 fps procedure (the API's default)

interface Props {
  video: number;
  frame: number;
  /** The frame's current revision (null: none yet). */
  current: Revision | null;
  /** Unsaved strokes: propagation and accepting wait until they are saved. */
  dirty: boolean;
  /** After an accept: the page reloads the frame (its current revision changed). */
  onAccepted: () => void;
}

export function PropagationPanel({ video, frame, current, dirty, onAccepted }: Props) {
  const [forward, setForward] = useState(DEFAULT_FRAMES);
  const [backward, setBackward] = useState(DEFAULT_FRAMES);
  const [job, setJob] = useState<Propagation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [proposals, setProposals] = useState<Proposal[] | null>(null);
  const [accepting, setAccepting] = useState(false);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);

  const reloadProposals = useCallback(() => {
    listProposals(video).then((list) => alive.current && setProposals(list), () => undefined);
  }, [video]);
  // Again when this frame's current revision changes (a save over a proposal, an accept): the list must not go stale.
  useEffect(reloadProposals, [reloadProposals, current?.id]);

  // Follow a running request until it ends.
  useEffect(() => {
    if (!job || job.status === "done" || job.status === "failed") return;
    const timer = window.setTimeout(() => {
      getPropagation(job.id).then(
        (next) => {
          if (!alive.current) return;
          setJob(next);
          if (next.status === "done") reloadProposals();
        },
        (reason) => alive.current && setError(toApiError(reason).detail),
      );
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [job, reloadProposals]);

  const isProposal = current?.kind === "propagated";
  const isPersons = current !== null && current.kind !== "propagated";
  const running = job !== null && (job.status === "queued" || job.status === "running");
  const why = dirty
    ? "Save your correction first (Ctrl+S): propagation carries the saved mask."
    : !isPersons
      ? "Correct this frame and save it first: propagation starts from a person's mask."
      : null;

  const start = () => {
    setError(null);
    startPropagation(video, frame, forward, backward).then(
      (created) => alive.current && setJob(created),
      (reason) => alive.current && setError(toApiError(reason).detail),
    );
  };

  const frames = (proposals ?? []).map((p) => p.frame);
  const jobRange = job?.status === "done" ? reachedRange(job) : null;
  const run = runAround(frames, frame);
  const accept = (first: number, last: number) => {
    setAccepting(true);
    setError(null);
    acceptProposals(video, first, last).then(
      () => {
        if (!alive.current) return;
        setAccepting(false);
        reloadProposals();
        onAccepted();
      },
      (reason) => {
        if (!alive.current) return;
        setAccepting(false);
        setError(toApiError(reason).detail);
      },
    );
  };

  return (
    <div className="propagation" data-testid="propagation-panel">
      <h2>Propagation</h2>
      {isProposal && current && (
        <div className="proposal-banner" role="note" data-testid="proposal-banner">
          This mask is a <strong>proposal</strong> carried from the correction of frame{" "}
          {current.propagated_from_frame ?? "?"}
          {current.blended_with ? " and blended with the next corrected frame" : ""}. It is not a label until you
          accept it; saving an edit replaces it.
          <div className="proposal-actions">
            <button type="button" className="primary" data-testid="accept-frame" disabled={dirty || accepting}
              onClick={() => accept(frame, frame)}>
              Accept this frame
            </button>
          </div>
        </div>
      )}
      {!isProposal && (
        <div className="propagate-form">
          <label className="small">
            Backward
            <input type="number" min={0} max={250} value={backward} data-testid="propagate-backward"
              onChange={(e) => setBackward(Math.max(0, Math.min(250, Number(e.target.value) || 0)))} />
          </label>
          <label className="small">
            Forward
            <input type="number" min={0} max={250} value={forward} data-testid="propagate-forward"
              onChange={(e) => setForward(Math.max(0, Math.min(250, Number(e.target.value) || 0)))} />
          </label>
          <button type="button" data-testid="propagate" disabled={why !== null || running} onClick={start}
            title={why ?? "Propose masks for the frames around this one"}>
            {running ? "Propagating…" : "Propagate to neighbours"}
          </button>
          {why && <p className="small muted">{why}</p>}
        </div>
      )}
      {job && (
        <div className="propagation-job" data-testid="propagation-job" data-status={job.status}>
          <div className="progress-bar" role="progressbar" data-testid="propagate-progress" aria-valuemin={0}
            aria-valuemax={100} aria-valuenow={Math.round(job.progress * 100)}>
            <div className="progress-fill" style={{ width: `${(job.progress * 100).toFixed(0)}%` }} />
          </div>
          <p className="small">
            {job.status === "queued" && "Waiting for a worker…"}
            {job.status === "running" && `Propagating: ${job.frames_done} / ${job.frames_total || "?"} frames`}
            {job.status === "failed" && <span className="error">Failed: {job.error}</span>}
            {job.status === "done" && `${plural(job.result.proposals ?? 0, "proposal")} in ${job.result.seconds ?? "?"} s.`}
          </p>
          {job.status === "done" && describeResult(job).map((line) => <p key={line} className="small muted">{line}</p>)}
          {job.status === "done" && jobRange && (
            <button type="button" className="primary" data-testid="accept-all" disabled={dirty || accepting}
              onClick={() => accept(jobRange[0], jobRange[1])}>
              Accept all proposals of this propagation (frames {jobRange[0]}–{jobRange[1]})
            </button>
          )}
        </div>
      )}
      {run && (
        <div className="proposal-run">
          <button type="button" data-testid="accept-run" disabled={dirty || accepting}
            onClick={() => accept(run[0], run[1])}>
            {accepting ? "Accepting…" : run[0] === run[1] ? `Accept frame ${run[0]}` : `Accept frames ${run[0]}–${run[1]}`}
          </button>
          <span className="small muted"> ({plural(run[1] - run[0] + 1, "proposal")}, one action)</span>
        </div>
      )}
      {proposals && proposals.length > 0 && (
        <p className="small proposal-frames" data-testid="proposal-frames">
          Frames with proposals:{" "}
          {proposals.slice(0, 60).map((p) => (
            <Link key={p.frame} to={`/app/videos/${video}/frames/${p.frame}/edit`}
              className={p.frame === frame ? "proposal-chip current" : "proposal-chip"}>
              {p.frame}
            </Link>
          ))}
          {proposals.length > 60 && ` … ${proposals.length - 60} more`}
        </p>
      )}
      {error && <p className="small error" role="alert" data-testid="propagation-error">{error}</p>}
    </div>
  );
}

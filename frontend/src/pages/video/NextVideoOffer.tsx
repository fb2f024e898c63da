// At the end of a video's events: where to go next, so "Next" never dead-ends.
import { Link } from "react-router";
import { formatTime } from "../../timeline/format";
import { eventUrl } from "./nextVideo";
import type { NextVideoState } from "./useNextVideo";

interface NextVideoOfferProps {
  state: NextVideoState;
  /** Events of this video still without a verdict. */
  pending: number;
  studyId: number;
}

export function NextVideoOffer({ state, pending, studyId }: NextVideoOfferProps) {
  return (
    <div className="next-video" data-testid="next-video-offer">
      <p className="small">
        {pending === 0 ? <span className="ok">Every event of this video has a verdict.</span> : <span className="notice">Last event. {pending} of this video still without a verdict.</span>}
      </p>
      {state.status === "loading" && <p className="small muted">Looking for the next video to review…</p>}
      {state.status === "error" && <p className="small error">The review queue could not be read: {state.message}</p>}
      {state.status === "ready" && state.next && (
        <Link
          className="button primary next-video-link"
          data-testid="next-video"
          data-video-id={state.next.video}
          to={eventUrl(state.next.video, state.next.event, state.next.peakIndex)}
          title="The next video with events awaiting a verdict, in the review queue's order (N)"
        >
          Next to review: patient {state.next.patient} · {state.next.name} · {state.next.pending} event{state.next.pending === 1 ? "" : "s"} awaiting a
          verdict, the first at {formatTime(state.next.startS)} <kbd>N</kbd>
        </Link>
      )}
      {state.status === "ready" && !state.next && (
        <p className="small muted" data-testid="next-video-none">
          No other video awaits a verdict. <Link to={`/app/studies/${studyId}`}>Back to the study</Link> · <Link to="/app/review">Review queue</Link>
        </p>
      )}
    </div>
  );
}

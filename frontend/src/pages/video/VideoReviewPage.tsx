// Video review: player + mask overlay, score timeline, events with verdicts and notes, live processing progress.
// The state of the review (selection, notes, saves, navigation) is the pure reducer of reviewState.ts; this
// component loads data, performs the effects the state asks for (seeks, saves) and lays the pieces out.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { cancelVideo, getStudy, getTimeline, getVideo, listEvents, reprocessVideo } from "../../api/client";
import { toApiError, useApi } from "../../api/useApi";
import type { PolypEvent } from "../../api/types";
import type { OverlayMode } from "../../render/pixels";
import type { JumpTarget } from "../../timeline/navigation";
import { ErrorBanner, Loading } from "../common";
import { canGiveVerdicts, canUpload, useUser } from "../session";
import { isBoolean, isUnitNumber, usePersistentState } from "../usePersistentState";
import { EventList } from "./EventList";
import type { VideoAction } from "./keymap";
import { eventUrl } from "./nextVideo";
import { NextVideoOffer } from "./NextVideoOffer";
import { Player, type PlayerHandle } from "./Player";
import { PlayerControls } from "./PlayerControls";
import { ProcessingBar, type Progress } from "./ProcessingBar";
import { ReviewHeader, type ReviewVideo } from "./ReviewHeader";
import { hasUnsavedNote, isSaving, justJudgedEvent, noteStatus, noteText, pendingCount, planStep, selectedEvent } from "./reviewState";
import { ShortcutsHelp } from "./ShortcutsHelp";
import { TimelineStrip, type StripSpan } from "./TimelineStrip";
import { useLiveProgress } from "./useLiveProgress";
import { useMaskCache } from "./useMaskCache";
import { useNextVideo } from "./useNextVideo";
import { useReview } from "./useReview";
import { useReviewKeys } from "./useReviewKeys";
import { useReviewSaves } from "./useReviewSaves";
import { VerdictPanel, type NoteView } from "./VerdictPanel";
import "./review.css";

const isJumpTarget = (value: unknown): value is JumpTarget => value === "start" || value === "peak";
const isOverlayMode = (value: unknown): value is OverlayMode => value === "fill" || value === "outline";

export function VideoReviewPage() {
  const id = Number(useParams().id);
  // A fresh component per video: no state (selection, caches, sockets) leaks from one video to the next.
  return <VideoReview key={id} videoId={id} />;
}

function VideoReview({ videoId }: { videoId: number }) {
  const user = useUser();
  const navigate = useNavigate();
  const video = useApi<ReviewVideo>((signal) => getVideo(videoId, signal), [videoId]);
  const timeline = useApi((signal) => getTimeline(videoId, signal), [videoId]);
  const events = useApi((signal) => listEvents(videoId, signal), [videoId]);

  const player = useRef<PlayerHandle>(null);
  const [playing, setPlaying] = useState(false);
  const [overlay, setOverlay] = usePersistentState("polypscope.overlay", true, isBoolean);
  const [overlayMode, setOverlayMode] = usePersistentState<OverlayMode>("polypscope.overlayMode", "fill", isOverlayMode);
  const [opacity, setOpacity] = usePersistentState("polypscope.overlayOpacity", 0.45, isUnitNumber);
  const [jump, setJump] = usePersistentState<JumpTarget>("polypscope.jumpTo", "start", isJumpTarget);
  const jumpRef = useRef(jump);
  jumpRef.current = jump;
  const [help, setHelp] = useState(false);
  const [pageError, setPageError] = useState<string | null>(null);

  const v = video.data;
  const setVideo = video.setData;
  const { state, stateRef, dispatch, initial } = useReview({ events: events.data, player, playerReady: v !== null, jumpRef });
  const fps = v?.fps && v.fps > 0 ? v.fps : (timeline.data?.fps ?? 25);
  const frameCount = v?.frame_count ?? timeline.data?.frame_count ?? 0;
  const active = v?.status === "queued" || v?.status === "processing";
  const framesDone = v ? (v.status === "done" ? v.frame_count : v.frames_done) : 0;
  const canVerdict = canGiveVerdicts(user.role);
  const selected = selectedEvent(state);
  const selectedIndex = selected ? state.events.indexOf(selected) : -1;
  const judged = justJudgedEvent(state);
  /** The event judged by a key whose note field has focus, until the selection moves on (see "verdict" below). */
  const noteAfterVerdict = useRef<number | null>(null);
  // A layout effect: it runs in the same task as the commit that re-binds the focused field to the next event, so
  // no keystroke can land in that field between the two (with useEffect one did, in a browser test).
  useLayoutEffect(() => {
    const id = noteAfterVerdict.current;
    if (id === null || judged?.id !== id) return;
    noteAfterVerdict.current = null;
    const field = document.querySelector<HTMLInputElement>('[data-testid="just-judged-note"]');
    if (field && document.activeElement?.getAttribute("data-testid") === "verdict-note") {
      field.focus();
      field.setSelectionRange(field.value.length, field.value.length);
    }
  }, [judged]);
  const pending = pendingCount(state);

  const live = useLiveProgress({
    videoId,
    video: v,
    setVideo,
    reloadVideo: video.reload,
    reloadTimeline: timeline.reload,
    reloadEvents: events.reload,
  });
  // The socket's progress is fresher than the video record while processing.
  const framesKnown = Math.max(framesDone, live.progress?.framesDone ?? 0);
  const masks = useMaskCache(videoId, frameCount, framesKnown);

  // A signed-off study refuses verdicts (409 study_closed): say so before anyone tries.
  const studyId = v?.study ?? null;
  const study = useApi((signal) => (studyId === null ? Promise.resolve(null) : getStudy(studyId, signal)), [studyId]);
  const blockedReason = active
    ? "Verdicts open when processing has finished."
    : study.data?.status === "closed"
      ? "This study is signed off (closed): its verdicts are locked. An admin can reopen it."
      : null;
  const { giveVerdict, commitNote } = useReviewSaves({ state, stateRef, dispatch, jumpRef, enabled: canVerdict && blockedReason === null, setVideo });

  const noteView = (event: PolypEvent): NoteView => {
    const saveState = state.saves[event.id];
    return {
      text: noteText(state, event),
      status: noteStatus(state, event),
      error: saveState?.state === "error" ? saveState.message : null,
      onChange: (text) => dispatch({ type: "noteEdited", id: event.id, text }),
      onCommit: (how) => commitNote(event.id, how),
    };
  };

  // ---- Next video, at the end of this one's events. ----
  const offerNext = v !== null && !active && events.data !== null && (state.atEnd || pending === 0);
  const nextVideo = useNextVideo(videoId, offerNext);

  const selectEvent = useCallback((event: PolypEvent) => dispatch({ type: "select", id: event.id, jump: jumpRef.current }), []);
  const selectById = useCallback((id: number) => dispatch({ type: "select", id, jump: jumpRef.current }), []);
  const seek = useCallback((f: number) => player.current?.seek(f), []);
  const onFrame = useCallback((f: number) => dispatch({ type: "frame", frame: f }), []);

  const runAction = (action: VideoAction, repeat: boolean) => {
    switch (action.type) {
      case "togglePlay":
        player.current?.togglePlay();
        return;
      case "step":
        player.current?.step(action.frames);
        return;
      case "nextEvent":
      case "prevEvent": {
        const direction = action.type === "nextEvent" ? 1 : -1;
        const s = stateRef.current;
        // A fresh N with nothing left to judge here goes on to the next video to review (a held N stops at the end).
        if (direction === 1 && !repeat && planStep(s, 1).kind === "end" && nextVideo.status === "ready" && nextVideo.next) {
          const n = nextVideo.next;
          void navigate(eventUrl(n.video, n.event, n.peakIndex));
          return;
        }
        dispatch({ type: "step", direction, jump: jumpRef.current });
        return;
      }
      case "verdict":
        if (repeat) return;
        giveVerdict(action.value);
        // "1, then type a note, then Enter": what is typed next is the note of the event just judged, never more
        // shortcuts (a letter would judge the next event). Enter with nothing typed hands the keys back, so fast
        // judging is "1 Enter 2 Enter". When the save moves the selection on, focus follows to that event's field.
        noteAfterVerdict.current = selectedEvent(stateRef.current)?.id ?? null;
        document.querySelector<HTMLInputElement>('[data-testid="verdict-note"]')?.focus();
        return;
      case "toggleOverlay":
        setOverlay((on) => !on);
        return;
      case "toggleOutline":
        setOverlay(true);
        setOverlayMode((mode) => (mode === "fill" ? "outline" : "fill"));
        return;
      case "editFrame":
        player.current?.pause();
        void navigate(`/app/videos/${videoId}/frames/${stateRef.current.frame}/edit`);
        return;
      case "focusNote": {
        const field = document.querySelector<HTMLInputElement>('[data-testid="just-judged-note"]') ?? document.querySelector<HTMLInputElement>('[data-testid="verdict-note"]');
        field?.focus();
        return;
      }
      case "toggleHelp":
        setHelp((h) => !h);
        return;
      case "escape":
        if (help) setHelp(false);
        else if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
        return;
    }
  };
  useReviewKeys(runAction);

  useEffect(() => {
    if (!v) return;
    const patient = v.patient_pseudo_id ? `${v.patient_pseudo_id} · ` : "";
    document.title = `${patient}${v.original_name} · Polypscope`;
  }, [v]);

  // Events the socket reported that the list already has (stored during processing) are not shown twice.
  const newLiveEvents = useMemo(() => live.liveEvents.filter((l) => !state.events.some((e) => e.start_index === l.start)), [live.liveEvents, state.events]);
  const strip = useMemo(() => (timeline.data ? { index: timeline.data.index, score: timeline.data.score } : null), [timeline.data]);
  const spans = useMemo<StripSpan[]>(
    () => [
      ...state.events.map((e) => ({ id: e.id, start: e.start_index, end: e.end_index, verdict: e.verdict?.value ?? null })),
      ...newLiveEvents.map((e) => ({ id: null, start: e.start, end: e.end, verdict: null })),
    ],
    [state.events, newLiveEvents],
  );
  // Not on every frame of playback: the event list re-renders only when its rows change.
  const { events: reviewEvents, drafts } = state;
  const unsavedNotes = useMemo(
    () => new Set(reviewEvents.filter((e) => hasUnsavedNote({ drafts }, e)).map((e) => e.id)),
    [reviewEvents, drafts],
  );

  if (video.error) return <ErrorBanner error={video.error} onRetry={video.reload} />;
  if (!v) return <Loading what="video" />;

  const frame = state.frame;
  const shownProgress: Progress = live.progress ?? { status: v.status, framesDone: v.frames_done, frameCount: v.frame_count, fps: v.processing_fps, etaS: null };
  const cancel =
    active && canUpload(user.role)
      ? () => {
          cancelVideo(videoId).then(
            (updated) => setVideo(() => updated),
            (reason: unknown) => setPageError(toApiError(reason).detail),
          );
        }
      : null;
  const reprocess =
    !active && user.role === "admin"
      ? () => {
          if (!window.confirm("Process this video again with the active model? Verdicts and corrections are kept.")) return;
          reprocessVideo(videoId).then(
            (updated) => setVideo(() => updated),
            (reason: unknown) => setPageError(toApiError(reason).detail),
          );
        }
      : null;

  return (
    <section className="review">
      <ReviewHeader video={v} fps={fps} onReprocess={reprocess} onHelp={() => setHelp(true)} />

      {active && <ProcessingBar progress={shownProgress} connected={live.connected} onCancel={cancel} />}
      {live.notVisible && <ErrorBanner error="This video is no longer visible to you." />}
      {v.status === "failed" && <ErrorBanner error={`Processing failed: ${v.error || "unknown error"}`} />}
      {pageError && <ErrorBanner error={pageError} onRetry={() => setPageError(null)} />}
      {timeline.error && !active && <ErrorBanner error={`Timeline: ${timeline.error.detail}`} onRetry={timeline.reload} />}
      {events.error && <ErrorBanner error={`Events: ${events.error.detail}`} onRetry={events.reload} />}

      <div className="review-body">
        <div className="review-main">
          <Player
            ref={player}
            videoId={videoId}
            fps={fps}
            frameCount={frameCount}
            width={v.width}
            height={v.height}
            initialFrame={initial.frame ?? 0}
            masks={masks}
            framesDone={framesKnown}
            overlay={overlay}
            overlayMode={overlayMode}
            opacity={opacity}
            onFrame={onFrame}
            onPlayingChange={setPlaying}
          />
          <PlayerControls
            player={player}
            videoId={videoId}
            playing={playing}
            frame={frame}
            frameCount={frameCount}
            fps={fps}
            durationS={v.duration_s}
            overlay={overlay}
            onOverlay={setOverlay}
            overlayMode={overlayMode}
            onOverlayMode={setOverlayMode}
            opacity={opacity}
            onOpacity={setOpacity}
            jump={jump}
            onJump={setJump}
          />
          <TimelineStrip
            data={strip}
            frameCount={frameCount}
            fps={fps}
            frame={frame}
            spans={spans}
            selectedId={state.selectedId}
            onSeek={seek}
            onSelectEvent={selectById}
          />
          <div className="legend small muted">
            <span>score</span>
            <span className="legend-ramp" />
            <span>events:</span>
            <span className="swatch pending" /> pending <span className="swatch confirmed" /> confirmed <span className="swatch false_positive" /> false positive{" "}
            <span className="swatch uncertain" /> uncertain
            <span>mask:</span>
            <span className="swatch review-mask" /> model's mask
          </div>
        </div>
        <aside className="review-side">
          <VerdictPanel
            event={selected}
            index={selectedIndex}
            total={state.events.length}
            fps={fps}
            canVerdict={canVerdict}
            blockedReason={blockedReason}
            saving={selected !== null && isSaving(state, selected.id)}
            note={selected && canVerdict ? noteView(selected) : null}
            onVerdict={giveVerdict}
            justJudged={judged ? { event: judged, index: state.events.indexOf(judged), note: noteView(judged) } : null}
          />
          {offerNext && <NextVideoOffer state={nextVideo} pending={pending} studyId={v.study} />}
          <div className="events-head">
            <h2>Events</h2>
            <span className="small muted">
              {state.events.length} · {pending} pending · N/P jump to {jump}
            </span>
          </div>
          {events.loading && !events.data && <Loading what="events" />}
          <EventList
            videoId={videoId}
            fps={fps}
            events={state.events}
            liveEvents={newLiveEvents}
            selectedId={state.selectedId}
            unsavedNotes={unsavedNotes}
            onSelect={selectEvent}
            onSeek={seek}
          />
        </aside>
      </div>
      {help && <ShortcutsHelp onClose={() => setHelp(false)} />}
    </section>
  );
}

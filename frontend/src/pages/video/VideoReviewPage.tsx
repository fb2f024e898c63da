// Video review: player + mask overlay, score timeline, events with verdicts and notes, live processing progress.
// The state of the review (selection, notes, saves, navigation) is the pure reducer of reviewState.ts; this
// component loads data, performs the effects the state asks for (seeks, saves) and lays the pieces out.
import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { cancelVideo, getMaskChunk, getTimeline, getVideo, listEvents, postVerdict, reprocessVideo } from "../../api/client";
import { toApiError, useApi } from "../../api/useApi";
import type { PolypEvent, Video, VerdictValue } from "../../api/types";
import { decodeRle } from "../../mask/rle";
import type { OverlayMode } from "../../render/pixels";
import { formatTime } from "../../timeline/format";
import type { JumpTarget } from "../../timeline/navigation";
import { ErrorBanner, Loading, VideoStatusBadge } from "../common";
import { canGiveVerdicts, canUpload, useUser } from "../session";
import { isBoolean, isUnitNumber, usePersistentState } from "../usePersistentState";
import { EventList } from "./EventList";
import type { VideoAction } from "./keymap";
import { MaskChunkCache } from "./maskCache";
import { eventUrl } from "./nextVideo";
import { NextVideoOffer } from "./NextVideoOffer";
import { Player, type PlayerHandle } from "./Player";
import { ProcessingBar, type Progress } from "./ProcessingBar";
import {
  hasUnsavedNote,
  initialReviewState,
  isSaving,
  justJudgedEvent,
  noteStatus,
  noteText,
  pendingCount,
  planStep,
  reviewReducer,
  selectedEvent,
  type ReviewState,
} from "./reviewState";
import { ShortcutsHelp } from "./ShortcutsHelp";
import { TimelineStrip, type StripSpan } from "./TimelineStrip";
import { useLiveProgress } from "./useLiveProgress";
import { useNextVideo } from "./useNextVideo";
import { useReviewKeys } from "./useReviewKeys";
import { VerdictPanel, type NoteView } from "./VerdictPanel";
import "./review.css";

const isJumpTarget = (value: unknown): value is JumpTarget => value === "start" || value === "peak";
const isOverlayMode = (value: unknown): value is OverlayMode => value === "fill" || value === "outline";

/** The video as GET /api/videos/{id}/ gives it: with the patient's pseudonym (frontend/API.md). */
type ReviewVideo = Video & { patient_pseudo_id?: string };

export function VideoReviewPage() {
  const id = Number(useParams().id);
  // A fresh component per video: no state (selection, caches, sockets) leaks from one video to the next.
  return <VideoReview key={id} videoId={id} />;
}

function VideoReview({ videoId }: { videoId: number }) {
  const user = useUser();
  const navigate = useNavigate();
  const [search, setSearch] = useSearchParams();
  const video = useApi<ReviewVideo>((signal) => getVideo(videoId, signal), [videoId]);
  const timeline = useApi((signal) => getTimeline(videoId, signal), [videoId]);
  const events = useApi((signal) => listEvents(videoId, signal), [videoId]);

  const player = useRef<PlayerHandle>(null);
  const [initial] = useState(() => ({
    selectedId: Number(search.get("event")) || null,
    frame: search.has("frame") ? Math.max(0, Number(search.get("frame")) || 0) : null,
  }));
  const [state, dispatch] = useReducer(reviewReducer, initial, initialReviewState);
  const stateRef = useRef<ReviewState>(state);
  stateRef.current = state;
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
  const fps = v?.fps && v.fps > 0 ? v.fps : (timeline.data?.fps ?? 25);
  const frameCount = v?.frame_count ?? timeline.data?.frame_count ?? 0;
  const active = v?.status === "queued" || v?.status === "processing";
  const framesDone = v ? (v.status === "done" ? v.frame_count : v.frames_done) : 0;
  const canVerdict = canGiveVerdicts(user.role);
  const selected = selectedEvent(state);
  const selectedIndex = selected ? state.events.indexOf(selected) : -1;
  const judged = justJudgedEvent(state);
  const pending = pendingCount(state);

  // The events as loaded (and reloaded when processing ends) go to the reducer, which keeps the verdicts given here.
  useEffect(() => {
    if (events.data) dispatch({ type: "eventsLoaded", events: events.data, jump: jumpRef.current });
  }, [events.data]);

  // Seeks the reducer asks for (selecting an event, a deep link), once each, once the player is there.
  const appliedSeek = useRef(0);
  const hasPlayer = v !== null;
  useEffect(() => {
    if (!state.seek || !hasPlayer || appliedSeek.current === state.seek.n || !player.current) return;
    appliedSeek.current = state.seek.n;
    player.current.pause();
    player.current.seek(state.seek.frame);
  }, [state.seek, hasPlayer]);

  // The URL names the selected event (a reload or a shared link opens it again).
  const urlEvent = useRef(initial.selectedId);
  useEffect(() => {
    if (state.selectedId === null || state.selectedId === urlEvent.current) return;
    urlEvent.current = state.selectedId;
    const id = state.selectedId;
    setSearch(
      (previous) => {
        const next = new URLSearchParams(previous);
        next.set("event", String(id));
        next.delete("frame");
        return next;
      },
      { replace: true },
    );
  }, [state.selectedId, setSearch]);

  // Overlay masks, cached per video; a finished video's partial chunks refetch as frames_done grows.
  const framesDoneRef = useRef(framesDone);
  framesDoneRef.current = framesDone;
  const masks = useMemo(
    () =>
      frameCount > 0
        ? new MaskChunkCache({
            frameCount,
            framesDone: framesDoneRef.current,
            fetchChunk: (start, end, signal) => getMaskChunk(videoId, start, end, signal),
            decode: decodeRle,
          })
        : null,
    [videoId, frameCount],
  );
  useEffect(() => () => masks?.dispose(), [masks]);

  const live = useLiveProgress({
    videoId,
    video: v,
    setVideo,
    reloadVideo: video.reload,
    reloadTimeline: timeline.reload,
    reloadEvents: events.reload,
  });
  // The socket's progress is fresher than the video record while processing. A layout effect, so the cache
  // knows before the player's (passive) effect redraws the frame on screen.
  const framesKnown = Math.max(framesDone, live.progress?.framesDone ?? 0);
  useLayoutEffect(() => masks?.setFramesDone(framesKnown), [masks, framesKnown]);

  // ---- Saving verdicts and notes. Saves of one event run one after the other (a note, then a verdict). ----
  const chains = useRef(new Map<number, Promise<void>>());
  /** The note text of each event's latest save asked for, until it is done: the same text is not sent twice. */
  const queuedNotes = useRef(new Map<number, string>());
  const save = useCallback(
    (eventId: number, value: VerdictValue, note: string, advance: boolean) => {
      queuedNotes.current.set(eventId, note);
      const run = async () => {
        const before = stateRef.current.events.find((e) => e.id === eventId);
        dispatch({ type: "saveStarted", id: eventId });
        try {
          const verdict = await postVerdict(eventId, value, note.trim());
          dispatch({ type: "saved", id: eventId, verdict, note, advance, jump: jumpRef.current });
          if (before?.verdict === null) setVideo((current) => (current ? { ...current, pending_events: Math.max(0, current.pending_events - 1) } : current));
        } catch (reason) {
          dispatch({ type: "saveFailed", id: eventId, message: toApiError(reason).detail });
        } finally {
          if (queuedNotes.current.get(eventId) === note) queuedNotes.current.delete(eventId);
        }
      };
      const next = (chains.current.get(eventId) ?? Promise.resolve()).then(run);
      chains.current.set(eventId, next);
    },
    [setVideo],
  );

  const giveVerdict = (value: VerdictValue) => {
    const current = selectedEvent(stateRef.current);
    if (!current || !canVerdict || active) return;
    save(current.id, value, noteText(stateRef.current, current), true);
  };

  /** Enter in a note, or leaving it: an event with a verdict gets the note as a new verdict of the same value. */
  const commitNote = useCallback(
    (eventId: number, how: "enter" | "blur") => {
      const s = stateRef.current;
      const event = s.events.find((e) => e.id === eventId);
      if (!event || !canVerdict || !hasUnsavedNote(s, event) || queuedNotes.current.get(eventId) === noteText(s, event)) return;
      if (event.verdict) save(eventId, event.verdict.value, noteText(s, event), false);
      else if (how === "enter") dispatch({ type: "noteNeedsVerdict", id: eventId });
    },
    [canVerdict, save],
  );

  // A note field that goes away (the selection moved on) saves what was typed in it, when it can be saved alone.
  const shown = useRef<number[]>([]);
  useEffect(() => {
    const now = [state.selectedId, judged?.id ?? null].filter((id): id is number => id !== null);
    for (const id of shown.current) if (!now.includes(id)) commitNote(id, "blur");
    shown.current = now;
  }, [state.selectedId, judged?.id, commitNote]);

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
        // Held N stops at the end; a fresh N there goes on to the next video to review.
        if (direction === 1 && s.atEnd && !repeat && planStep(s, 1).kind === "end" && nextVideo.status === "ready" && nextVideo.next) {
          const n = nextVideo.next;
          void navigate(eventUrl(n.video, n.event, n.peakIndex));
          return;
        }
        dispatch({ type: "step", direction, jump: jumpRef.current });
        return;
      }
      case "verdict":
        if (!repeat) giveVerdict(action.value);
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
  const unsavedNotes = useMemo(() => new Set(state.events.filter((e) => hasUnsavedNote(state, e)).map((e) => e.id)), [state]);

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
      <div className="review-head">
        <nav className="crumbs" data-testid="video-crumbs" aria-label="Breadcrumb">
          <Link to="/app/">Studies</Link> / <Link to={`/app/studies/${v.study}`}>{v.patient_pseudo_id ? `Patient ${v.patient_pseudo_id}` : "Study"}</Link> /
        </nav>
        <h1 className="ellipsis" title={v.original_name} data-testid="video-title">
          {v.original_name}
        </h1>
        <VideoStatusBadge status={v.status} />
        <span className="small muted">
          {formatTime(v.duration_s)} · {fps.toFixed(2)} fps · {v.width}×{v.height}
          {v.model_version && <> · model {v.model_version}</>}
        </span>
        <span className="spacer" />
        {reprocess && (
          <button type="button" onClick={reprocess} data-testid="reprocess-video" title="Run the active model over every frame again">
            Reprocess with the active model
          </button>
        )}
        <button type="button" className="link" onClick={() => setHelp(true)} data-testid="shortcuts-button">
          Shortcuts <kbd>?</kbd>
        </button>
      </div>

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
          <div className="controls">
            <button type="button" onMouseDown={(e) => e.preventDefault()} onClick={() => player.current?.step(-1)} title="Back one frame (, or ←)" aria-label="Back one frame">
              ‹
            </button>
            <button
              type="button"
              className="play"
              data-testid="play-toggle"
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => player.current?.togglePlay()}
              title="Play / pause (Space)"
            >
              {playing ? "❚❚" : "▶︎"}
            </button>
            <button type="button" onMouseDown={(e) => e.preventDefault()} onClick={() => player.current?.step(1)} title="Forward one frame (. or →)" aria-label="Forward one frame">
              ›
            </button>
            <span className="frame-readout">
              <strong data-testid="frame-time">{formatTime(frame / fps)}</strong>
              <span className="muted"> / {formatTime(v.duration_s)}</span>
              <span className="muted small">
                {" "}
                · frame <span data-testid="frame-index">{frame}</span> of {Math.max(0, frameCount - 1)}
              </span>
            </span>
            <span className="spacer" />
            <label className="toggle" title="Mask overlay (O)">
              <input type="checkbox" data-testid="overlay-toggle" checked={overlay} onChange={(e) => setOverlay(e.target.checked)} />
              Mask <kbd>O</kbd>
            </label>
            <label className="toggle" title="Draw only the mask's outline, so the mucosa under it stays visible (L)">
              <input
                type="checkbox"
                data-testid="overlay-outline"
                checked={overlayMode === "outline"}
                disabled={!overlay}
                onChange={(e) => setOverlayMode(e.target.checked ? "outline" : "fill")}
              />
              Outline <kbd>L</kbd>
            </label>
            <input
              type="range"
              data-testid="overlay-opacity"
              min={0.1}
              max={1}
              step={0.05}
              value={opacity}
              onChange={(e) => setOpacity(Number(e.target.value))}
              aria-label="Overlay opacity"
              title={overlayMode === "outline" ? "The outline is drawn opaque; the opacity is the filled mask's" : "Overlay opacity"}
              disabled={!overlay || overlayMode === "outline"}
            />
            <label className="toggle" title="Where N / P land in an event">
              N/P to
              <select data-testid="jump-mode" value={jump} onChange={(e) => setJump(e.target.value as JumpTarget)}>
                <option value="start">start</option>
                <option value="peak">peak</option>
              </select>
            </label>
            <Link data-testid="edit-frame-link" to={`/app/videos/${videoId}/frames/${frame}/edit`} title="Correct the mask of this frame (E)">
              Correct mask of this frame
            </Link>
          </div>
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
            blockedReason={active ? "Verdicts open when processing has finished." : null}
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

// Video review: player + mask overlay, score timeline, events with verdicts, live processing progress.
// State lives here; the pieces (Player, TimelineStrip, EventList, VerdictPanel) only draw and report.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { cancelVideo, getMaskChunk, getTimeline, getVideo, listEvents, postVerdict, reprocessVideo } from "../../api/client";
import { toApiError, useApi } from "../../api/useApi";
import type { LiveEvent, PolypEvent, ProgressMessage, VerdictValue } from "../../api/types";
import { decodeRle } from "../../mask/rle";
import { formatTime } from "../../timeline/format";
import { eventFrame, nextUnreviewed, sortEvents, stepEvent, type JumpTarget } from "../../timeline/navigation";
import { ErrorBanner, Loading, VideoStatusBadge } from "../common";
import { VERDICT_LABELS } from "../labels";
import { canGiveVerdicts, canUpload, useUser } from "../session";
import { isBoolean, isUnitNumber, usePersistentState } from "../usePersistentState";
import { EventList } from "./EventList";
import { keyToAction, type VideoAction } from "./keymap";
import { mergeLiveEvents } from "./liveEvents";
import { MaskChunkCache } from "./maskCache";
import { Player, type PlayerHandle } from "./Player";
import { ProcessingBar, type Progress } from "./ProcessingBar";
import { ShortcutsHelp } from "./ShortcutsHelp";
import { TimelineStrip, type StripSpan } from "./TimelineStrip";
import { useVideoSocket } from "./useVideoSocket";
import { VerdictPanel } from "./VerdictPanel";

/** While processing, the heat strip is refreshed this often (ms): it fills in without a request per message. */
const TIMELINE_REFRESH_MS = 15_000;
/**
 * While processing, the video row is also polled this often (ms): a safety net for a "done" message the
 * socket missed (it connected late, or reconnected after the broadcast), so the page never hangs at 99%.
 */
const VIDEO_POLL_MS = 5_000;

const isJumpTarget = (value: unknown): value is JumpTarget => value === "start" || value === "peak";

function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !["range", "checkbox", "radio", "button", "submit"].includes(target.type);
}

export function VideoReviewPage() {
  const id = Number(useParams().id);
  // A fresh component per video: no state (selection, caches, sockets) leaks from one video to the next.
  return <VideoReview key={id} videoId={id} />;
}

function VideoReview({ videoId }: { videoId: number }) {
  const user = useUser();
  const navigate = useNavigate();
  const [search, setSearch] = useSearchParams();
  const video = useApi((signal) => getVideo(videoId, signal), [videoId]);
  const timeline = useApi((signal) => getTimeline(videoId, signal), [videoId]);
  const events = useApi((signal) => listEvents(videoId, signal), [videoId]);

  const player = useRef<PlayerHandle>(null);
  const [initialFrame] = useState(() => Math.max(0, Number(search.get("frame")) || 0));
  const [frame, setFrame] = useState(initialFrame);
  const [playing, setPlaying] = useState(false);
  const [selectedId, setSelectedId] = useState<number | null>(() => Number(search.get("event")) || null);
  const [overlay, setOverlay] = usePersistentState("polypscope.overlay", true, isBoolean);
  const [opacity, setOpacity] = usePersistentState("polypscope.overlayOpacity", 0.45, isUnitNumber);
  const [jump, setJump] = usePersistentState<JumpTarget>("polypscope.jumpTo", "start", isJumpTarget);
  const [help, setHelp] = useState(false);
  const [note, setNote] = useState("");
  const [saving, setSaving] = useState(false);
  const [verdictError, setVerdictError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [liveEvents, setLiveEvents] = useState<LiveEvent[]>([]);

  const v = video.data;
  const fps = v?.fps && v.fps > 0 ? v.fps : (timeline.data?.fps ?? 25);
  const frameCount = v?.frame_count ?? timeline.data?.frame_count ?? 0;
  const active = v?.status === "queued" || v?.status === "processing";
  const framesDone = v ? (v.status === "done" ? v.frame_count : v.frames_done) : 0;
  const sorted = useMemo(() => sortEvents(events.data ?? []), [events.data]);
  const selectedIndex = sorted.findIndex((e) => e.id === selectedId);
  const selected = selectedIndex >= 0 ? sorted[selectedIndex]! : null;
  const canVerdict = canGiveVerdicts(user.role);

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
  // The socket's progress is fresher than the video record while processing. A layout effect, so the cache
  // knows before the player's (passive) effect redraws the frame on screen.
  const framesKnown = Math.max(framesDone, progress?.framesDone ?? 0);
  useLayoutEffect(() => masks?.setFramesDone(framesKnown), [masks, framesKnown]);

  // Live progress while queued/processing.
  const setVideo = video.setData;
  const onMessage = useCallback(
    (message: ProgressMessage) => {
      setProgress({ status: message.status, framesDone: message.frames_done, frameCount: message.frame_count, fps: message.fps, etaS: message.eta_s });
      setLiveEvents((seen) => mergeLiveEvents(seen, message.events));
      setVideo((current) =>
        current
          ? {
              ...current,
              status: message.status,
              frames_done: message.frames_done,
              frame_count: message.frame_count || current.frame_count,
              error: message.error ?? current.error,
            }
          : current,
      );
    },
    [setVideo],
  );
  const socket = useVideoSocket(videoId, active, onMessage);

  // When processing ends, the database has the real timeline and events (with ids): load them.
  const wasActive = useRef(false);
  const { reload: reloadVideo } = video;
  const { reload: reloadTimeline } = timeline;
  const { reload: reloadEvents } = events;
  useEffect(() => {
    if (!v) return;
    if (wasActive.current && !active) {
      reloadVideo();
      reloadTimeline();
      reloadEvents();
      setLiveEvents([]);
      setProgress(null);
    }
    wasActive.current = active;
  }, [v, active, reloadVideo, reloadTimeline, reloadEvents]);
  useEffect(() => {
    if (!active) return;
    const timeline = setInterval(reloadTimeline, TIMELINE_REFRESH_MS);
    const row = setInterval(reloadVideo, VIDEO_POLL_MS);
    return () => {
      clearInterval(timeline);
      clearInterval(row);
    };
  }, [active, reloadTimeline, reloadVideo]);

  const jumpRef = useRef(jump);
  jumpRef.current = jump;
  const selectEvent = useCallback(
    (event: PolypEvent) => {
      setSelectedId(event.id);
      setVerdictError(null);
      setInfo(null);
      // A re-judged event keeps its note unless the reviewer edits it (a changed verdict must not drop it).
      setNote(event.verdict?.note ?? "");
      player.current?.pause();
      player.current?.seek(eventFrame(event, jumpRef.current));
      setSearch(
        (previous) => {
          const next = new URLSearchParams(previous);
          next.set("event", String(event.id));
          next.delete("frame");
          return next;
        },
        { replace: true },
      );
    },
    [setSearch],
  );
  const seek = useCallback((f: number) => player.current?.seek(f), []);
  const sortedRef = useRef(sorted);
  sortedRef.current = sorted;
  const selectEventRef = useRef(selectEvent);
  selectEventRef.current = selectEvent;
  const selectById = useCallback((id: number) => {
    const event = sortedRef.current.find((e) => e.id === id);
    if (event) selectEventRef.current(event);
  }, []);

  // Deep link (?event=<id>, from the review queue): seek to it once the events are in.
  const deepLinked = useRef(false);
  useEffect(() => {
    if (deepLinked.current || !events.data || !v) return;
    deepLinked.current = true;
    const target = sorted.find((e) => e.id === selectedId);
    if (target) player.current?.seek(eventFrame(target, jumpRef.current));
  }, [events.data, v, sorted, selectedId]);

  const giveVerdict = async (value: VerdictValue) => {
    if (!selected || !canVerdict || saving || active) return;
    setSaving(true);
    setVerdictError(null);
    setInfo(null);
    try {
      const verdict = await postVerdict(selected.id, value, note.trim());
      const updated = sorted.map((e) => (e.id === selected.id ? { ...e, verdict } : e));
      events.setData(() => updated);
      setVideo((current) => (current && selected.verdict === null ? { ...current, pending_events: Math.max(0, current.pending_events - 1) } : current));
      const next = nextUnreviewed(updated, selected.id);
      if (next) selectEvent(next);
      else {
        setNote(verdict.note ?? "");
        setInfo(`${VERDICT_LABELS[value]} saved. Every event of this video has a verdict.`);
      }
    } catch (reason) {
      setVerdictError(toApiError(reason).detail);
    } finally {
      setSaving(false);
    }
  };

  const runAction = (action: VideoAction) => {
    switch (action.type) {
      case "togglePlay":
        player.current?.togglePlay();
        return;
      case "step":
        player.current?.step(action.frames);
        return;
      case "nextEvent":
      case "prevEvent": {
        const target = stepEvent(sorted, selected?.id ?? null, frame, action.type === "nextEvent" ? 1 : -1);
        if (target) selectEvent(target);
        return;
      }
      case "verdict":
        void giveVerdict(action.value);
        return;
      case "toggleOverlay":
        setOverlay((on) => !on);
        return;
      case "editFrame":
        player.current?.pause();
        void navigate(`/app/videos/${videoId}/frames/${frame}/edit`);
        return;
      case "toggleHelp":
        setHelp((h) => !h);
        return;
      case "escape":
        if (help) setHelp(false);
        else if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
        return;
    }
  };
  const runActionRef = useRef(runAction);
  runActionRef.current = runAction;

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      const action = keyToAction({
        key: event.key,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
        shiftKey: event.shiftKey,
        inEditable: isTextEntry(event.target),
      });
      if (!action) return;
      event.preventDefault();
      runActionRef.current(action);
    };
    // Space on a focused button would "click" it on keyup as well as toggling playback.
    const onKeyUp = (event: KeyboardEvent) => {
      if (event.key === " " && !isTextEntry(event.target)) event.preventDefault();
    };
    window.addEventListener("keydown", onKeyDown);
    window.addEventListener("keyup", onKeyUp);
    return () => {
      window.removeEventListener("keydown", onKeyDown);
      window.removeEventListener("keyup", onKeyUp);
    };
  }, []);

  // Events the socket reported that the list already has (stored during processing) are not shown twice.
  const newLiveEvents = useMemo(() => liveEvents.filter((l) => !sorted.some((e) => e.start_index === l.start)), [liveEvents, sorted]);
  const strip = useMemo(() => (timeline.data ? { index: timeline.data.index, score: timeline.data.score } : null), [timeline.data]);
  const spans = useMemo<StripSpan[]>(
    () => [
      ...sorted.map((e) => ({ id: e.id, start: e.start_index, end: e.end_index, verdict: e.verdict?.value ?? null })),
      ...newLiveEvents.map((e) => ({ id: null, start: e.start, end: e.end, verdict: null })),
    ],
    [sorted, newLiveEvents],
  );

  if (video.error) return <ErrorBanner error={video.error} onRetry={video.reload} />;
  if (!v) return <Loading what="video" />;

  const shownProgress: Progress = progress ?? { status: v.status, framesDone: v.frames_done, frameCount: v.frame_count, fps: v.processing_fps, etaS: null };
  const cancel =
    active && canUpload(user.role)
      ? () => {
          cancelVideo(videoId).then(
            (updated) => setVideo(() => updated),
            (reason: unknown) => setVerdictError(toApiError(reason).detail),
          );
        }
      : null;
  const reprocess =
    !active && user.role === "admin"
      ? () => {
          if (!window.confirm("Process this video again with the active model? Verdicts and corrections are kept.")) return;
          reprocessVideo(videoId).then(
            (updated) => setVideo(() => updated),
            (reason: unknown) => setVerdictError(toApiError(reason).detail),
          );
        }
      : null;

  return (
    <section className="review">
      <div className="review-head">
        <div className="crumbs">
          <Link to="/app/">Studies</Link> / <Link to={`/app/studies/${v.study}`}>Study</Link> /
        </div>
        <h1 className="ellipsis" title={v.original_name}>
          {v.original_name}
        </h1>
        <VideoStatusBadge status={v.status} />
        <span className="small muted">
          {v.width}×{v.height} · {fps.toFixed(2)} fps · {frameCount} frames · {formatTime(v.duration_s)}
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

      {active && <ProcessingBar progress={shownProgress} connected={socket.connected} onCancel={cancel} />}
      {socket.notVisible && <ErrorBanner error="This video is no longer visible to you." />}
      {v.status === "failed" && <ErrorBanner error={`Processing failed: ${v.error || "unknown error"}`} />}
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
            initialFrame={initialFrame}
            masks={masks}
            framesDone={framesKnown}
            overlay={overlay}
            opacity={opacity}
            onFrame={setFrame}
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
              frame <strong data-testid="frame-index">{frame}</strong>
              <span className="muted"> / {Math.max(0, frameCount - 1)}</span> · <span data-testid="frame-time">{formatTime(frame / fps)}</span>
            </span>
            <span className="spacer" />
            <label className="toggle" title="Mask overlay (O)">
              <input type="checkbox" data-testid="overlay-toggle" checked={overlay} onChange={(e) => setOverlay(e.target.checked)} />
              Mask <kbd>O</kbd>
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
              disabled={!overlay}
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
            selectedId={selectedId}
            onSeek={seek}
            onSelectEvent={selectById}
          />
          <div className="legend small muted">
            <span>score</span>
            <span className="legend-ramp" />
            <span>events:</span>
            <span className="swatch pending" /> pending <span className="swatch confirmed" /> confirmed <span className="swatch false_positive" /> false positive{" "}
            <span className="swatch uncertain" /> uncertain
          </div>
        </div>
        <aside className="review-side">
          <VerdictPanel
            event={selected}
            index={selectedIndex}
            total={sorted.length}
            fps={fps}
            canVerdict={canVerdict}
            blockedReason={active ? "Verdicts open when processing has finished." : null}
            note={note}
            onNote={setNote}
            saving={saving}
            error={verdictError}
            info={info}
            onVerdict={(value) => void giveVerdict(value)}
          />
          <div className="events-head">
            <h2>Events</h2>
            <span className="small muted">
              {sorted.length} · {sorted.filter((e) => e.verdict === null).length} pending · N/P jump to {jump}
            </span>
          </div>
          {events.loading && !events.data && <Loading what="events" />}
          <EventList videoId={videoId} fps={fps} events={sorted} liveEvents={newLiveEvents} selectedId={selectedId} onSelect={selectEvent} onSeek={seek} />
        </aside>
      </div>
      {help && <ShortcutsHelp onClose={() => setHelp(false)} />}
    </section>
  );
}

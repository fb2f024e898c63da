// The video with the model's mask drawn over it. Plays the uploaded file in <video>; when the browser
// cannot decode it, falls back to stepping through server-rendered frame images.
import { useCallback, useEffect, useImperativeHandle, useRef, useState, type Ref } from "react";
import { frameImageUrl, videoFileUrl } from "../../api/client";
import { frameAtTime, timeOfFrame } from "../../timeline/format";
import { OverlayLayer } from "../../render/layers";
import type { OverlayMode } from "../../render/pixels";
import type { MaskChunkCache } from "./maskCache";

export interface PlayerHandle {
  togglePlay: () => void;
  pause: () => void;
  seek: (frame: number) => void;
  step: (frames: number) => void;
}

/** Masks are requested this many frames ahead of the playhead: 10-20 s of video at 25-30 fps. */
const PREFETCH_FRAMES = 500;

interface PlayerProps {
  ref: Ref<PlayerHandle>;
  videoId: number;
  fps: number;
  frameCount: number;
  width: number;
  height: number;
  initialFrame: number;
  masks: MaskChunkCache | null;
  /** Frames processed so far: when it grows, the frame on screen may now have a mask to draw. */
  framesDone: number;
  overlay: boolean;
  /** Filled, or the outline only (render/pixels.ts). */
  overlayMode: OverlayMode;
  opacity: number;
  onFrame: (frame: number) => void;
  onPlayingChange: (playing: boolean) => void;
}

export function Player(props: PlayerProps) {
  const { ref, videoId, fps, frameCount, width, height, initialFrame, masks, framesDone, overlay, overlayMode, opacity } = props;
  const [mode, setMode] = useState<"video" | "frames">("video");
  const [shownFrame, setShownFrame] = useState(initialFrame);
  const [framesPlaying, setFramesPlaying] = useState(false);
  const videoRef = useRef<HTMLVideoElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const layerRef = useRef<OverlayLayer | null>(null);
  const frameRef = useRef(initialFrame);
  /** The frame a seek asked for until the player reports it: fast repeated steps count from here. */
  const targetRef = useRef<number | null>(null);

  // Callbacks and overlay inputs read through a ref, so the per-frame path never waits on a re-render.
  const live = useRef({ masks, overlay, overlayMode, onFrame: props.onFrame, onPlayingChange: props.onPlayingChange });
  live.current = { masks, overlay, overlayMode, onFrame: props.onFrame, onPlayingChange: props.onPlayingChange };

  const clamp = useCallback((frame: number) => Math.max(0, frameCount > 0 ? Math.min(frameCount - 1, frame) : frame), [frameCount]);

  const drawOverlay = useCallback((frame: number) => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    if (layerRef.current === null) layerRef.current = new OverlayLayer(canvas);
    const layer = layerRef.current;
    const { masks: cache, overlay: on, overlayMode: mode } = live.current;
    const mask = on && cache ? cache.mask(frame) : null;
    if (mask === undefined) {
      layer.clear();
      if (cache?.needsFetch(frame)) {
        cache.ensure(frame).then(
          () => frameRef.current === frame && drawOverlay(frame),
          () => undefined,
        );
      }
      return;
    }
    if (mask === null) layer.clear();
    else layer.paint(mask.data, mask.width, mask.height, mode);
    canvas.dataset.frame = String(frame); // which frame's mask is on screen (the e2e test checks the sync)
    canvas.dataset.mode = mode;
  }, []);

  const report = useCallback(
    (frame: number) => {
      const f = clamp(frame);
      if (targetRef.current === f) targetRef.current = null;
      frameRef.current = f;
      live.current.onFrame(f);
      drawOverlay(f);
      live.current.masks?.prefetch(f, PREFETCH_FRAMES);
    },
    [clamp, drawOverlay],
  );

  // Redraw when the overlay is switched, the cache replaced, or processing reached more frames (the frame on
  // screen may have been drawn empty because it was not processed yet).
  useEffect(() => drawOverlay(frameRef.current), [overlay, overlayMode, masks, framesDone, drawOverlay]);

  // <video>: follow the frame actually presented. requestVideoFrameCallback reports each composited frame
  // with its media time; without it, timeupdate fires only ~4 times a second, so poll with rAF while playing.
  useEffect(() => {
    const video = videoRef.current;
    if (mode !== "video" || !video) return;
    let stopped = false;
    // lib.dom declares requestVideoFrameCallback unconditionally; Firefox before 132 lacks it.
    const hasFrameCallback = typeof (video as { requestVideoFrameCallback?: unknown }).requestVideoFrameCallback === "function";
    const fromClock = () => report(frameAtTime(video.currentTime, fps));
    const onSeeked = () => {
      targetRef.current = null;
      // Also with requestVideoFrameCallback: a paused video does not always present (and so report) the
      // frame it seeked to, which left a deep link's frame without its overlay. Reporting twice is harmless.
      fromClock();
    };
    const onPlay = () => live.current.onPlayingChange(true);
    const onPause = () => live.current.onPlayingChange(false);
    video.addEventListener("seeked", onSeeked);
    video.addEventListener("play", onPlay);
    video.addEventListener("pause", onPause);
    video.addEventListener("ended", onPause);
    let cancel: () => void = () => undefined;
    if (hasFrameCallback) {
      let handle = 0;
      const onVideoFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
        if (stopped) return;
        report(frameAtTime(meta.mediaTime, fps));
        handle = video.requestVideoFrameCallback(onVideoFrame);
      };
      handle = video.requestVideoFrameCallback(onVideoFrame);
      cancel = () => video.cancelVideoFrameCallback(handle);
    } else {
      let raf = 0;
      const poll = () => {
        if (stopped) return;
        if (!video.paused) fromClock();
        raf = requestAnimationFrame(poll);
      };
      raf = requestAnimationFrame(poll);
      video.addEventListener("timeupdate", fromClock);
      cancel = () => {
        cancelAnimationFrame(raf);
        video.removeEventListener("timeupdate", fromClock);
      };
    }
    return () => {
      stopped = true;
      cancel();
      video.removeEventListener("seeked", onSeeked);
      video.removeEventListener("play", onPlay);
      video.removeEventListener("pause", onPause);
      video.removeEventListener("ended", onPause);
    };
  }, [mode, fps, report, drawOverlay]);

  // Open at the initial frame (a deep link to an event or a frame); once, not on every re-subscription.
  useEffect(() => {
    const video = videoRef.current;
    if (video && frameRef.current > 0) video.currentTime = timeOfFrame(frameRef.current, fps);
  }, []);

  // Frame images: advance only once the next image is decoded, at most at the video's frame rate, so
  // playback slows down on a slow connection instead of showing blanks.
  useEffect(() => {
    if (mode !== "frames") return;
    live.current.onPlayingChange(framesPlaying);
    if (!framesPlaying) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      const next = frameRef.current + 1;
      if (frameCount > 0 && next >= frameCount) {
        setFramesPlaying(false);
        return;
      }
      const started = performance.now();
      const image = new Image();
      image.src = frameImageUrl(videoId, next);
      const show = () => {
        if (cancelled) return;
        timer = setTimeout(
          () => {
            if (cancelled) return;
            setShownFrame(next);
            report(next);
            tick();
          },
          Math.max(0, 1_000 / Math.max(1, fps) - (performance.now() - started)),
        );
      };
      image.decode().then(show, show);
    };
    tick();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [mode, framesPlaying, frameCount, fps, videoId, report]);

  useImperativeHandle(ref, () => {
    const seek = (frame: number) => {
      const f = clamp(Math.round(frame));
      targetRef.current = f;
      const video = videoRef.current;
      if (mode === "video" && video) {
        video.currentTime = timeOfFrame(f, fps);
      } else {
        setShownFrame(f);
        report(f);
      }
    };
    const pause = () => {
      if (mode === "video") videoRef.current?.pause();
      else setFramesPlaying(false);
    };
    return {
      seek,
      pause,
      togglePlay: () => {
        const video = videoRef.current;
        if (mode === "frames") setFramesPlaying((p) => !p);
        else if (video?.paused) video.play().catch(() => undefined);
        else video?.pause();
      },
      step: (frames: number) => {
        pause();
        seek((targetRef.current ?? frameRef.current) + frames);
      },
    };
  }, [mode, fps, clamp, report]);

  const aspect = width > 0 && height > 0 ? width / height : 16 / 9;
  return (
    <div className="player">
      <div
        className="stage"
        style={{ aspectRatio: `${aspect}`, maxWidth: `calc((100vh - 17rem) * ${aspect})` }}
        onClick={() => {
          const video = videoRef.current;
          if (mode === "frames") setFramesPlaying((p) => !p);
          else if (video?.paused) video.play().catch(() => undefined);
          else video?.pause();
        }}
      >
        {mode === "video" ? (
          <video
            ref={videoRef}
            data-testid="video-element"
            src={videoFileUrl(videoId)}
            preload="auto"
            playsInline
            muted
            onError={() => {
              // Keep a seek asked of the <video> before it failed (a deep link to an event).
              const frame = targetRef.current ?? frameRef.current;
              setShownFrame(frame);
              setMode("frames");
              report(frame);
            }}
          />
        ) : (
          <img data-testid="frame-image" src={frameImageUrl(videoId, shownFrame)} alt={`Frame ${shownFrame}`} draggable={false} />
        )}
        <canvas ref={canvasRef} className="mask-overlay" data-testid="mask-overlay" style={{ opacity: overlay ? (overlayMode === "outline" ? 1 : opacity) : 0 }} width={width || 1} height={height || 1} />
      </div>
      {mode === "frames" && <p className="notice small">This browser cannot play the video file; showing frame images instead.</p>}
    </div>
  );
}

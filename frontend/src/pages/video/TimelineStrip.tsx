// The per-frame score as a heat strip, events as bands under it, the playhead on top. Two stacked
// canvases: the data layer redraws only when the data or the size changes, the playhead layer on every
// frame (one line), so playback costs nothing here.
import { memo, useEffect, useMemo, useRef, useState, type PointerEvent as ReactPointerEvent } from "react";
import type { VerdictValue } from "../../api/types";
import { VERDICT_COLORS } from "../../render/colors";
import { binMaxScores, spanAtX, spanBand, xToFrame, frameToX } from "../../timeline/binning";
import { heatLut, paintHeatStrip } from "../../timeline/colormap";
import { formatScore, formatTime } from "../../timeline/format";

export interface StripSpan {
  /** null for an event seen on the websocket that has no id yet. */
  id: number | null;
  start: number;
  end: number;
  verdict: VerdictValue | null;
}

export interface StripData {
  index: ArrayLike<number>;
  score: ArrayLike<number>;
}

interface TimelineStripProps {
  data: StripData | null;
  frameCount: number;
  fps: number;
  frame: number;
  spans: readonly StripSpan[];
  selectedId: number | null;
  onSeek: (frame: number) => void;
  onSelectEvent: (id: number) => void;
}

/** Strip geometry in CSS pixels: heat rows, a gap, the event lane. */
const HEAT_H = 34;
const LANE_Y = 38;
const LANE_H = 14;
const HEIGHT = LANE_Y + LANE_H;
const NO_DATA_RGB = [42, 46, 56] as const;
const BAND_COLOURS: Record<VerdictValue | "pending" | "live", string> = {
  pending: "#c9d1e0",
  live: "#7f8aa3",
  ...VERDICT_COLORS,
};
const LUT = heatLut();

export const TimelineStrip = memo(function TimelineStrip(props: TimelineStripProps) {
  const { data, frameCount, fps, frame, spans, selectedId, onSeek, onSelectEvent } = props;
  const wrapRef = useRef<HTMLDivElement>(null);
  const dataCanvas = useRef<HTMLCanvasElement>(null);
  const headCanvas = useRef<HTMLCanvasElement>(null);
  const [cssWidth, setCssWidth] = useState(0);
  const [hover, setHover] = useState<{ x: number; frame: number } | null>(null);
  const dragging = useRef(false);
  const dpr = typeof window === "undefined" ? 1 : Math.max(1, Math.min(3, window.devicePixelRatio || 1));

  useEffect(() => {
    const wrap = wrapRef.current;
    if (!wrap) return;
    const observer = new ResizeObserver((entries) => setCssWidth(Math.floor(entries[0]?.contentRect.width ?? 0)));
    observer.observe(wrap);
    return () => observer.disconnect();
  }, []);

  // Score per frame for the hover read-out (frames not scored yet are NaN).
  const scoreByFrame = useMemo(() => {
    const scores = new Float32Array(Math.max(0, frameCount)).fill(Number.NaN);
    if (data) for (let k = 0; k < data.index.length; k++) scores[data.index[k]!] = data.score[k]!;
    return scores;
  }, [data, frameCount]);

  // Data layer: heat strip binned at device-pixel resolution, then event bands.
  useEffect(() => {
    const canvas = dataCanvas.current;
    const context = canvas?.getContext("2d");
    // Until the timeline arrives the canvas stays 0 px wide (its CSS background shows): a non-zero
    // width means "drawn", which the review-page benchmark waits for.
    if (!canvas || !context || cssWidth <= 0 || !data) return;
    const width = Math.round(cssWidth * dpr);
    const height = Math.round(HEIGHT * dpr);
    canvas.width = width;
    canvas.height = height;
    context.clearRect(0, 0, width, height);
    const heatHeight = Math.round(HEAT_H * dpr);
    const binned = binMaxScores(data.index, data.score, frameCount, width);
    context.putImageData(new ImageData(paintHeatStrip(binned, heatHeight, LUT, NO_DATA_RGB), width, heatHeight), 0, 0);
    for (const span of spans) {
      const band = spanBand(span, frameCount, width, 2 * dpr);
      const selected = span.id !== null && span.id === selectedId;
      context.fillStyle = BAND_COLOURS[span.id === null ? "live" : (span.verdict ?? "pending")];
      context.globalAlpha = selected ? 1 : 0.75;
      context.fillRect(band.x, LANE_Y * dpr, band.width, LANE_H * dpr);
      if (selected) {
        context.globalAlpha = 1;
        context.strokeStyle = "#ffffff";
        context.lineWidth = dpr;
        context.strokeRect(band.x + 0.5 * dpr, LANE_Y * dpr - 1.5 * dpr, band.width - dpr, LANE_H * dpr + 3 * dpr);
        // Mark the selected event's extent on the heat strip too.
        context.fillStyle = "rgba(255,255,255,0.18)";
        context.fillRect(band.x, 0, band.width, heatHeight);
      }
    }
    context.globalAlpha = 1;
  }, [data, frameCount, spans, selectedId, cssWidth, dpr]);

  // Playhead layer.
  useEffect(() => {
    const canvas = headCanvas.current;
    const context = canvas?.getContext("2d");
    if (!canvas || !context || cssWidth <= 0) return;
    const width = Math.round(cssWidth * dpr);
    const height = Math.round(HEIGHT * dpr);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    context.clearRect(0, 0, width, height);
    if (frameCount <= 0) return;
    const x = Math.round(frameToX(frame + 0.5, frameCount, width));
    context.fillStyle = "#ffffff";
    context.fillRect(x - Math.round(dpr), 0, Math.max(2, Math.round(2 * dpr)), height);
    context.beginPath();
    context.moveTo(x - 5 * dpr, 0);
    context.lineTo(x + 5 * dpr, 0);
    context.lineTo(x, 6 * dpr);
    context.closePath();
    context.fill();
    if (hover) {
      const hx = Math.round(hover.x * dpr);
      context.fillStyle = "rgba(255,255,255,0.45)";
      context.fillRect(hx, 0, Math.max(1, Math.round(dpr)), height);
    }
  }, [frame, frameCount, cssWidth, dpr, hover]);

  const localX = (event: ReactPointerEvent<HTMLCanvasElement>) => event.clientX - event.currentTarget.getBoundingClientRect().left;

  const onPointerDown = (event: ReactPointerEvent<HTMLCanvasElement>) => {
    if (event.button !== 0 || frameCount <= 0) return;
    const x = localX(event);
    const y = event.clientY - event.currentTarget.getBoundingClientRect().top;
    // A click in the event lane picks the event under it; anywhere else seeks.
    if (y >= LANE_Y - 2) {
      const hit = spanAtX(spans, x, frameCount, cssWidth);
      const id = hit >= 0 ? spans[hit]!.id : null;
      if (id !== null) {
        onSelectEvent(id);
        return;
      }
    }
    dragging.current = true;
    event.currentTarget.setPointerCapture(event.pointerId);
    onSeek(xToFrame(x, cssWidth, frameCount));
  };

  const onPointerMove = (event: ReactPointerEvent<HTMLCanvasElement>) => {
    const x = Math.max(0, Math.min(cssWidth - 1, localX(event)));
    const f = xToFrame(x, cssWidth, frameCount);
    setHover({ x, frame: f });
    if (dragging.current) onSeek(f);
  };

  const stopDrag = (event: ReactPointerEvent<HTMLCanvasElement>) => {
    dragging.current = false;
    if (event.currentTarget.hasPointerCapture(event.pointerId)) event.currentTarget.releasePointerCapture(event.pointerId);
  };

  const hoverScore = hover ? scoreByFrame[hover.frame] : undefined;
  return (
    <div className="timeline" ref={wrapRef}>
      <canvas
        ref={dataCanvas}
        width={0}
        height={0}
        data-testid="timeline-canvas"
        className="timeline-data"
        style={{ height: HEIGHT }}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={stopDrag}
        onPointerCancel={stopDrag}
        onPointerLeave={() => setHover(null)}
      />
      <canvas ref={headCanvas} className="timeline-head" style={{ height: HEIGHT }} aria-hidden />
      {hover && (
        <div className="timeline-tip" style={{ left: Math.min(Math.max(0, hover.x - 70), Math.max(0, cssWidth - 140)) }}>
          {formatTime(hover.frame / Math.max(1, fps))} · score {formatScore(hoverScore === undefined || Number.isNaN(hoverScore) ? null : hoverScore)} · #{hover.frame}
        </div>
      )}
    </div>
  );
});

/**
 * The canvases of the editor (DOM code; the pixel logic is in pixels.ts):
 *
 * - MaskLayer: the mask at image resolution (width x height canvas). paintRect() converts only the
 *   dirty rectangle to ImageData and puts it, so a brush dab costs its own area, not the frame's.
 *   The viewport's zoom and pan are a CSS transform on the canvas, done by the compositor.
 * - paintPrediction(): the prediction layer, painted once per prediction.
 * - UiLayer: viewport-sized canvas (device pixels) for the polygon in progress; it clears only what
 *   it drew last time. (The brush cursor is a DOM element, see cursor.ts for why.)
 */
import type { ImagePoint } from "../geometry/points";
import type { Rect } from "../geometry/rect";
import { imageToScreen, type ViewTransform } from "../geometry/view";
import type { Mask } from "../mask/rle";
import { packRgba, PREDICTION_EDGE, PREDICTION_FILL, REVIEW_MASK, type Rgba } from "./colors";
import { maskRectToPixels, overlayPixels, predictionPixels, type OverlayMode } from "./pixels";

function context2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext("2d");
  if (ctx === null) throw new Error("this browser gives no 2D canvas context");
  return ctx;
}

export class MaskLayer {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly color: number;
  /** Reused across dabs (grown when a larger rect comes): a fresh ImageData per pointer move is
   * tens of KB of garbage per frame for a large brush, and GC pauses showed up as latency spikes
   * in bench/brush.ts. */
  private scratch: ImageData | null = null;
  private scratchPixels: Uint32Array | null = null;

  /** One canvas of width x height for the whole mask. (Measured alternative: a grid of 256 px
   * canvases, so a dab invalidates less; in Chromium's software pipeline it was 2-3x slower per
   * frame, the many small layers costing more than they saved.) */
  constructor(
    canvas: HTMLCanvasElement,
    private readonly width: number,
    private readonly height: number,
    color: Rgba,
  ) {
    canvas.width = width;
    canvas.height = height;
    this.ctx = context2d(canvas);
    this.color = packRgba(color);
  }

  paintAll(mask: Mask): void {
    this.paintRect(mask, { x0: 0, y0: 0, x1: this.width, y1: this.height });
  }

  /** Repaints the pixels of `r` (image px) and nothing else. */
  paintRect(mask: Mask, r: Rect): void {
    const w = r.x1 - r.x0;
    const h = r.y1 - r.y0;
    if (w <= 0 || h <= 0) return;
    let img = this.scratch;
    let pixels = this.scratchPixels;
    if (img === null || pixels === null || img.width < w || img.height < h) {
      img = this.ctx.createImageData(Math.max(w, img?.width ?? 0), Math.max(h, img?.height ?? 0));
      pixels = new Uint32Array(img.data.buffer);
      this.scratch = img;
      this.scratchPixels = pixels;
    }
    maskRectToPixels(mask, this.width, r, this.color, pixels, img.width);
    // Only the w x h corner of the scratch is put (the "dirty" arguments of putImageData).
    this.ctx.putImageData(img, r.x0, r.y0, 0, 0, w, h);
  }
}

/** Paints the whole prediction layer (or clears it when there is no prediction). */
export function paintPrediction(canvas: HTMLCanvasElement, mask: Mask | null, width: number, height: number): void {
  canvas.width = width;
  canvas.height = height;
  const ctx = context2d(canvas);
  ctx.clearRect(0, 0, width, height);
  if (mask === null || width === 0 || height === 0) return;
  const img = ctx.createImageData(width, height);
  predictionPixels(mask, width, height, packRgba(PREDICTION_FILL), packRgba(PREDICTION_EDGE), new Uint32Array(img.data.buffer));
  ctx.putImageData(img, 0, 0);
}

/**
 * The review player's mask overlay: one canvas at the video's resolution over the <video>, repainted whole
 * for each frame shown (the mask changes everywhere from one frame to the next). Its ImageData is reused
 * across frames, so playback makes no garbage per frame.
 */
export class OverlayLayer {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly color = packRgba(REVIEW_MASK);
  private image: ImageData | null = null;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.ctx = context2d(canvas);
  }

  clear(): void {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  paint(mask: Mask, width: number, height: number, mode: OverlayMode): void {
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    let image = this.image;
    if (image === null || image.width !== width || image.height !== height) {
      image = this.ctx.createImageData(width, height);
      this.image = image;
    }
    overlayPixels(mask, width, height, mode, this.color, new Uint32Array(image.data.buffer));
    this.ctx.putImageData(image, 0, 0);
  }
}

export interface UiScene {
  readonly view: ViewTransform;
  /** Polygon in progress, its rubber band to `hover`, and whether a click would close it. */
  readonly polygon: {
    readonly vertices: readonly ImagePoint[];
    readonly hover: ImagePoint | null;
    readonly closing: boolean;
  } | null;
}

/** Margin around the last drawing's bounds when clearing: line width plus antialiasing. */
const CLEAR_MARGIN_PX = 4;
/** Radius of a drawn polygon vertex, and of the first vertex when a click would close. */
const VERTEX_RADIUS_PX = 3;
const CLOSE_VERTEX_RADIUS_PX = 6;

export class UiLayer {
  private readonly ctx: CanvasRenderingContext2D;
  private dpr = 1;
  /** Bounds of the last drawing in CSS px: minX, minY, maxX, maxY; null when nothing is drawn. */
  private drawn: [number, number, number, number] | null = null;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.ctx = context2d(canvas);
  }

  /** Matches the canvas's backing store to its CSS size times the device pixel ratio (sharp lines). */
  resize(cssWidth: number, cssHeight: number, dpr: number): void {
    this.dpr = dpr;
    this.canvas.width = Math.max(1, Math.round(cssWidth * dpr));
    this.canvas.height = Math.max(1, Math.round(cssHeight * dpr));
    this.drawn = null;
  }

  draw(scene: UiScene): void {
    const ctx = this.ctx;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    if (this.drawn !== null) {
      const [x0, y0, x1, y1] = this.drawn;
      ctx.clearRect(x0 - CLEAR_MARGIN_PX, y0 - CLEAR_MARGIN_PX, x1 - x0 + 2 * CLEAR_MARGIN_PX, y1 - y0 + 2 * CLEAR_MARGIN_PX);
      this.drawn = null;
    }
    const { view } = scene;
    if (scene.polygon !== null) {
      const pts = scene.polygon.vertices.map((p) => imageToScreen(view, p));
      const hover = scene.polygon.hover === null ? null : imageToScreen(view, scene.polygon.hover);
      const all = hover === null ? pts : [...pts, hover];
      const first = pts[0];
      if (first !== undefined) {
        ctx.beginPath();
        ctx.moveTo(first.x, first.y);
        for (const p of all.slice(1)) ctx.lineTo(p.x, p.y);
        this.strokeTwice();
        for (const [i, p] of pts.entries()) {
          const r = i === 0 && scene.polygon.closing ? CLOSE_VERTEX_RADIUS_PX : VERTEX_RADIUS_PX;
          ctx.beginPath();
          ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
          ctx.fillStyle = i === 0 ? "#ffd400" : "#ffffff";
          ctx.fill();
          this.extend(p.x - r, p.y - r, p.x + r, p.y + r);
        }
        for (const p of all) this.extend(p.x, p.y, p.x, p.y);
      }
    }
  }

  /** A dark line under a light one, visible on any frame. */
  private strokeTwice(): void {
    const ctx = this.ctx;
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgba(0, 0, 0, 0.7)";
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#ffffff";
    ctx.stroke();
  }

  private extend(x0: number, y0: number, x1: number, y1: number): void {
    const d = this.drawn;
    this.drawn = d === null ? [x0, y0, x1, y1] : [Math.min(d[0], x0), Math.min(d[1], y0), Math.max(d[2], x1), Math.max(d[3], y1)];
  }
}

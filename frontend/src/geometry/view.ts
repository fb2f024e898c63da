/**
 * The view transform between image pixels and screen (CSS) pixels:
 *
 *   screen = image * zoom + pan
 *
 * zoom is screen px per image px; pan is where the image's top-left corner lands on screen. The
 * editor applies the same transform as a CSS `translate(pan) scale(zoom)` to its image and mask
 * layers, so the browser's compositor does the drawing and a brush stroke never repaints the frame.
 */
import { clamp, imagePoint, screenPoint, type ImagePoint, type ScreenPoint } from "./points";

export interface ViewTransform {
  readonly zoom: number;
  readonly panX: number;
  readonly panY: number;
}

/** 1/20: a 1920 px frame still spans ~100 px, enough to find it again after zooming out too far. */
export const MIN_ZOOM = 0.05;
/** 32 screen px per image px: single pixels are easy to hit with the smallest brush. */
export const MAX_ZOOM = 32;

export const IDENTITY_VIEW: ViewTransform = { zoom: 1, panX: 0, panY: 0 };

export function imageToScreen(view: ViewTransform, p: ImagePoint): ScreenPoint {
  return screenPoint(p.x * view.zoom + view.panX, p.y * view.zoom + view.panY);
}

export function screenToImage(view: ViewTransform, p: ScreenPoint): ImagePoint {
  return imagePoint((p.x - view.panX) / view.zoom, (p.y - view.panY) / view.zoom);
}

export function panBy(view: ViewTransform, dx: number, dy: number): ViewTransform {
  return { zoom: view.zoom, panX: view.panX + dx, panY: view.panY + dy };
}

/** Sets the zoom to `zoom` (clamped to MIN_ZOOM..MAX_ZOOM) while the image point under `anchor`
 * stays under `anchor` (zooming towards the mouse). */
export function zoomTo(view: ViewTransform, zoom: number, anchor: ScreenPoint): ViewTransform {
  const z = clamp(zoom, MIN_ZOOM, MAX_ZOOM);
  const under = screenToImage(view, anchor);
  return { zoom: z, panX: anchor.x - under.x * z, panY: anchor.y - under.y * z };
}

/** Multiplies the zoom by `factor` about `anchor` (see zoomTo). */
export function zoomAbout(view: ViewTransform, factor: number, anchor: ScreenPoint): ViewTransform {
  return zoomTo(view, view.zoom * factor, anchor);
}

/** The largest zoom at which the whole image fits the container (minus `padding` CSS px on each
 * side), centred. Returns the identity for a container of no size (not laid out yet). */
export function fitToContainer(
  imageWidth: number,
  imageHeight: number,
  containerWidth: number,
  containerHeight: number,
  padding = 0,
): ViewTransform {
  const availW = containerWidth - 2 * padding;
  const availH = containerHeight - 2 * padding;
  if (availW <= 0 || availH <= 0 || imageWidth <= 0 || imageHeight <= 0) return IDENTITY_VIEW;
  const zoom = clamp(Math.min(availW / imageWidth, availH / imageHeight), MIN_ZOOM, MAX_ZOOM);
  return {
    zoom,
    panX: (containerWidth - imageWidth * zoom) / 2,
    panY: (containerHeight - imageHeight * zoom) / 2,
  };
}

/**
 * The brush cursor: a circle outline as a DOM element moved with a CSS transform, not drawn on a
 * canvas. Measured (bench/brush.ts, Chromium with software rendering): redrawing a viewport-sized
 * overlay canvas on every pointer move made the browser re-raster the whole viewport each frame,
 * 26 ms input-to-paint at the median; a transform on its own compositor layer costs the compositor
 * almost nothing, and the median fell to under 5 ms.
 */
import type { ScreenPoint } from "../geometry/points";

export class BrushCursor {
  private shown = false;
  private diameter = -1;
  private x = NaN;
  private y = NaN;

  constructor(private readonly el: HTMLElement) {
    el.style.display = "none";
  }

  /** Shows the circle centred on `center` with `radius` screen px, or hides it (null). Writes to
   * the DOM only what changed: position alone is a transform (no layout, no paint). */
  update(center: ScreenPoint | null, radius: number): void {
    if (center === null) {
      if (this.shown) this.el.style.display = "none";
      this.shown = false;
      return;
    }
    if (!this.shown) this.el.style.display = "block";
    this.shown = true;
    const d = Math.max(2, 2 * radius);
    if (d !== this.diameter) {
      this.diameter = d;
      this.el.style.width = `${d}px`;
      this.el.style.height = `${d}px`;
    }
    const x = center.x - d / 2;
    const y = center.y - d / 2;
    if (x !== this.x || y !== this.y) {
      this.x = x;
      this.y = y;
      this.el.style.transform = `translate(${x}px, ${y}px)`;
    }
  }
}

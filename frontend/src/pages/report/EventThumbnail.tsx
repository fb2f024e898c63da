import { useEffect, useRef } from "react";
import { maskOutline, outlineThickness } from "./outline";

// The outline's colour: cyan, unlike the verdicts' green, red and amber and the heat strip's ramp.
const OUTLINE_RGB = [0, 229, 255] as const;
// The thumbnail's width in the report, in CSS pixels (its grid column: 62 mm at 96 dpi).
const SHOWN_WIDTH = 234;

/** The peak frame with the model's mask outlined over it (a canvas above the image; both print). */
export function EventThumbnail({ src, mask, alt }: { src: string; mask: string; alt: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    let cancelled = false;
    const image = new Image();
    image.onload = () => {
      const target = canvas.current;
      if (cancelled || !target) return;
      const { naturalWidth: w, naturalHeight: h } = image;
      const scratch = document.createElement("canvas");
      scratch.width = w;
      scratch.height = h;
      const read = scratch.getContext("2d");
      if (!read) return;
      read.drawImage(image, 0, 0);
      const rgba = read.getImageData(0, 0, w, h).data;
      const binary = new Uint8Array(w * h);
      for (let i = 0; i < w * h; i++) binary[i] = (rgba[i * 4] ?? 0) > 127 ? 1 : 0;
      const outline = maskOutline(binary, w, h, outlineThickness(w, SHOWN_WIDTH));
      target.width = w;
      target.height = h;
      const draw = target.getContext("2d");
      if (!draw) return;
      const out = draw.createImageData(w, h);
      for (let i = 0; i < w * h; i++) {
        if (!outline[i]) continue;
        out.data.set([...OUTLINE_RGB, 255], i * 4);
      }
      draw.putImageData(out, 0, 0);
      target.dataset.outlined = String(outline.some((v) => v === 1));
    };
    image.src = mask; // a frame without a stored mask (404) simply shows no outline
    return () => {
      cancelled = true;
    };
  }, [mask]);

  return (
    <div className="report-thumb-wrap">
      <img className="report-thumb" data-testid="report-thumbnail" src={src} alt={alt} loading="eager" />
      <canvas ref={canvas} className="report-thumb-outline" data-testid="report-outline" aria-hidden="true" />
    </div>
  );
}

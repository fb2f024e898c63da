// The bar under the player: frame steps, play, the time read-out, the overlay's switches, where N / P land,
// and the way to the mask editor.
import type { RefObject } from "react";
import { Link } from "react-router";
import type { OverlayMode } from "../../render/pixels";
import { formatTime } from "../../timeline/format";
import type { JumpTarget } from "../../timeline/navigation";
import type { PlayerHandle } from "./Player";

interface PlayerControlsProps {
  player: RefObject<PlayerHandle | null>;
  videoId: number;
  playing: boolean;
  frame: number;
  frameCount: number;
  fps: number;
  durationS: number;
  overlay: boolean;
  onOverlay: (on: boolean) => void;
  overlayMode: OverlayMode;
  onOverlayMode: (mode: OverlayMode) => void;
  opacity: number;
  onOpacity: (opacity: number) => void;
  jump: JumpTarget;
  onJump: (jump: JumpTarget) => void;
}

/** Buttons keep focus off themselves, so Space still plays / pauses instead of pressing them again. */
const keepFocus = (e: { preventDefault: () => void }) => e.preventDefault();

export function PlayerControls(props: PlayerControlsProps) {
  const { player, videoId, playing, frame, frameCount, fps, durationS, overlay, onOverlay, overlayMode, onOverlayMode, opacity, onOpacity, jump, onJump } = props;
  return (
    <div className="controls">
      <button type="button" onMouseDown={keepFocus} onClick={() => player.current?.step(-1)} title="Back one frame (, or ←)" aria-label="Back one frame">
        ‹
      </button>
      <button type="button" className="play" data-testid="play-toggle" onMouseDown={keepFocus} onClick={() => player.current?.togglePlay()} title="Play / pause (Space)">
        {playing ? "❚❚" : "▶︎"}
      </button>
      <button type="button" onMouseDown={keepFocus} onClick={() => player.current?.step(1)} title="Forward one frame (. or →)" aria-label="Forward one frame">
        ›
      </button>
      <span className="frame-readout">
        <strong data-testid="frame-time">{formatTime(frame / fps)}</strong>
        <span className="muted"> / {formatTime(durationS)}</span>
        <span className="muted small">
          {" "}
          {/* Frames count from 0 everywhere (the API, the editor): say the range, not "of <last index>". */}
          · frame <span data-testid="frame-index">{frame}</span> (0–{Math.max(0, frameCount - 1)})
        </span>
      </span>
      <span className="spacer" />
      <label className="toggle" title="Mask overlay (O)">
        <input type="checkbox" data-testid="overlay-toggle" checked={overlay} onChange={(e) => onOverlay(e.target.checked)} />
        Mask <kbd>O</kbd>
      </label>
      <label className="toggle" title="Draw only the mask's outline, so the mucosa under it stays visible (L)">
        <input
          type="checkbox"
          data-testid="overlay-outline"
          checked={overlayMode === "outline"}
          disabled={!overlay}
          onChange={(e) => onOverlayMode(e.target.checked ? "outline" : "fill")}
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
        onChange={(e) => onOpacity(Number(e.target.value))}
        aria-label="Overlay opacity"
        title={overlayMode === "outline" ? "The outline is drawn opaque; the opacity is the filled mask's" : "Overlay opacity"}
        disabled={!overlay || overlayMode === "outline"}
      />
      <label className="toggle" title="Where N / P land in an event">
        N/P to
        <select data-testid="jump-mode" value={jump} onChange={(e) => onJump(e.target.value as JumpTarget)}>
          <option value="start">start</option>
          <option value="peak">peak</option>
        </select>
      </label>
      <Link data-testid="edit-frame-link" to={`/app/videos/${videoId}/frames/${frame}/edit`} title="Correct the mask of this frame (E)">
        Correct mask of this frame
      </Link>
    </div>
  );
}

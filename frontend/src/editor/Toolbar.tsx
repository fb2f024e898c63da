/** The editor's toolbar: tools, brush size, overlay opacity and toggles, undo/redo, zoom, save.
 * Stateless: everything comes from the store slice the parent selected. */
import { MAX_BRUSH_RADIUS, MIN_BRUSH_RADIUS, type ToolKind } from "./state";
import type { Command } from "./shortcuts";

export interface ToolbarState {
  readonly tool: ToolKind;
  readonly brushRadius: number;
  readonly overlayOpacity: number;
  readonly showEdit: boolean;
  readonly showPrediction: boolean;
  readonly showShortcuts: boolean;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  readonly dirty: boolean;
  readonly zoom: number;
}

export interface ToolbarProps {
  readonly ui: ToolbarState;
  readonly hasPrediction: boolean;
  readonly saving: boolean;
  readonly onCommand: (command: Command) => void;
  readonly onBrushRadius: (radius: number) => void;
  readonly onOpacity: (opacity: number) => void;
  /** Set for a role that cannot save: drawing controls are disabled and this says why. */
  readonly readOnly?: string | null;
}

const TOOLS: readonly { tool: ToolKind; command: Command; label: string; key: string }[] = [
  { tool: "brush", command: "tool-brush", label: "Brush", key: "B" },
  { tool: "eraser", command: "tool-eraser", label: "Eraser", key: "E" },
  { tool: "polygon", command: "tool-polygon", label: "Polygon", key: "P" },
];

export function Toolbar({ ui, hasPrediction, saving, onCommand, onBrushRadius, onOpacity, readOnly }: ToolbarProps) {
  const locked = Boolean(readOnly);
  return (
    <div className="me-toolbar" role="toolbar" aria-label="Mask editor tools" data-read-only={String(locked)}>
      <div className="me-group" role="radiogroup" aria-label="Tool">
        {TOOLS.map((t) => (
          <button
            key={t.tool}
            type="button"
            role="radio"
            aria-checked={ui.tool === t.tool}
            className={ui.tool === t.tool ? "me-active" : undefined}
            data-testid={`tool-${t.tool}`}
            title={`${t.label} (${t.key})`}
            disabled={locked}
            onClick={() => onCommand(t.command)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <label className="me-group" title="Brush size ([ and ])">
        Size
        <input
          type="range"
          data-testid="brush-size"
          disabled={locked}
          min={MIN_BRUSH_RADIUS}
          max={MAX_BRUSH_RADIUS}
          value={ui.brushRadius}
          onChange={(e) => onBrushRadius(Number(e.currentTarget.value))}
        />
        <output className="me-num">{ui.brushRadius} px</output>
      </label>
      <label className="me-group" title="Opacity of the edited mask">
        Opacity
        <input
          type="range"
          data-testid="opacity"
          min={0}
          max={100}
          value={Math.round(ui.overlayOpacity * 100)}
          onChange={(e) => onOpacity(Number(e.currentTarget.value) / 100)}
        />
      </label>
      <div className="me-group">
        <button
          type="button"
          aria-pressed={ui.showEdit}
          data-testid="toggle-overlay"
          title="Show the edited mask (O)"
          onClick={() => onCommand("toggle-overlay")}
        >
          Mask
        </button>
        <button
          type="button"
          aria-pressed={ui.showPrediction && hasPrediction}
          disabled={!hasPrediction}
          data-testid="toggle-prediction"
          title={hasPrediction ? "Show the model's prediction (R)" : "No prediction for this image"}
          onClick={() => onCommand("toggle-prediction")}
        >
          Prediction
        </button>
      </div>
      <div className="me-group">
        <button type="button" data-testid="undo" disabled={locked || !ui.canUndo} title="Undo (Ctrl+Z)" onClick={() => onCommand("undo")}>
          Undo
        </button>
        <button type="button" data-testid="redo" disabled={locked || !ui.canRedo} title="Redo (Ctrl+Shift+Z)" onClick={() => onCommand("redo")}>
          Redo
        </button>
      </div>
      <div className="me-group">
        <button type="button" data-testid="zoom-out" title="Zoom out (-)" onClick={() => onCommand("zoom-out")}>
          −
        </button>
        <output className="me-num" data-testid="zoom-level">{Math.round(ui.zoom * 100)}%</output>
        <button type="button" data-testid="zoom-in" title="Zoom in (+)" onClick={() => onCommand("zoom-in")}>
          +
        </button>
        <button type="button" data-testid="zoom-fit" title="Fit (0)" onClick={() => onCommand("zoom-fit")}>
          Fit
        </button>
      </div>
      <div className="me-group me-end">
        <span className="me-status" data-testid="dirty-state">
          {locked ? "View only" : saving ? "Saving…" : ui.dirty ? "Unsaved changes" : "All changes saved"}
        </span>
        <button
          type="button"
          aria-pressed={ui.showShortcuts}
          data-testid="shortcuts-toggle"
          title="Keyboard shortcuts (?)"
          onClick={() => onCommand("toggle-shortcuts")}
        >
          ?
        </button>
        <button
          type="button"
          className="me-primary"
          data-testid="save"
          disabled={locked || saving}
          title={locked ? (readOnly ?? "") : "Save (Ctrl+S)"}
          onClick={() => onCommand("save")}
        >
          {saving ? "Saving…" : "Save"}
        </button>
      </div>
    </div>
  );
}

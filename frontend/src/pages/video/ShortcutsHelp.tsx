import { ShortcutRows } from "../../editor/ShortcutRows";
import { NOTE_SHORTCUTS, SHORTCUTS } from "./keymap";

export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal" role="dialog" aria-label="Keyboard shortcuts" data-testid="shortcuts-help" onClick={(e) => e.stopPropagation()}>
        <div className="modal-head">
          <h2>Keyboard shortcuts</h2>
          <button type="button" className="link" onClick={onClose}>
            Close (Esc)
          </button>
        </div>
        <table className="shortcuts">
          <tbody>
            <ShortcutRows rows={SHORTCUTS} />
            <ShortcutRows rows={NOTE_SHORTCUTS} />
          </tbody>
        </table>
      </div>
    </div>
  );
}

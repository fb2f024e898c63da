/** The "?" panel: every shortcut, rendered from the same table that handles the keys. */
import { ShortcutRows } from "./ShortcutRows";
import { POINTER_SHORTCUTS, SHORTCUTS } from "./shortcuts";

export function ShortcutsPanel({ onClose }: { readonly onClose: () => void }) {
  return (
    <div className="me-shortcuts" data-testid="shortcuts-panel" role="dialog" aria-label="Keyboard shortcuts">
      <div className="me-shortcuts-head">
        <strong>Shortcuts</strong>
        <button type="button" onClick={onClose} aria-label="Close shortcuts">
          ×
        </button>
      </div>
      <table>
        <tbody>
          <ShortcutRows rows={[...SHORTCUTS, ...POINTER_SHORTCUTS]} />
        </tbody>
      </table>
    </div>
  );
}

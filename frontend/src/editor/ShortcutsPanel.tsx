/** The "?" panel: every shortcut, rendered from the same table that handles the keys. */
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
          {SHORTCUTS.map((s) => (
            <tr key={s.command}>
              <td>
                {s.keys.map((k, i) => (
                  <span key={k}>
                    {i > 0 ? " or " : ""}
                    <kbd>{k}</kbd>
                  </span>
                ))}
              </td>
              <td>{s.description}</td>
            </tr>
          ))}
          {POINTER_SHORTCUTS.map((s) => (
            <tr key={s.keys}>
              <td>
                <kbd>{s.keys}</kbd>
              </td>
              <td>{s.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Table rows of keyboard shortcuts: used by the editor's "?" panel and the video page's help. */
export interface ShortcutRow {
  /** One key combination, or several that do the same ("Ctrl+Shift+Z" or "Ctrl+Y"). */
  readonly keys: string | readonly string[];
  readonly description: string;
}

export function ShortcutRows({ rows }: { readonly rows: readonly ShortcutRow[] }) {
  return (
    <>
      {rows.map((row) => {
        const keys = typeof row.keys === "string" ? [row.keys] : row.keys;
        return (
          <tr key={`${keys.join("+")}:${row.description}`}>
            <td>
              {keys.map((k, i) => (
                <span key={k}>
                  {i > 0 ? " or " : ""}
                  <kbd>{k}</kbd>
                </span>
              ))}
            </td>
            <td>{row.description}</td>
          </tr>
        );
      })}
    </>
  );
}

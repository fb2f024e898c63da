// A note on one event, with what became of it beside it: not saved yet, saving, saved, or why not.
// Enter saves (onCommit) and leaves the field; leaving it otherwise saves too (onCommit on blur): the page
// decides what saving means.
import { useRef } from "react";
import type { NoteStatus } from "./reviewState";

interface NoteFieldProps {
  testId: string;
  label: string;
  value: string;
  status: NoteStatus;
  /** The API's message when status is "error". */
  error: string | null;
  /** The event has a verdict already: the note can be saved on its own. */
  judged: boolean;
  disabled: boolean;
  placeholder: string;
  onChange: (text: string) => void;
  /** Enter, or leaving the field. */
  onCommit: (how: "enter" | "blur") => void;
}

function statusText(status: NoteStatus, judged: boolean, error: string | null): string {
  switch (status) {
    case "clean":
      return "";
    case "unsaved":
      return judged ? "Not saved yet: Enter saves" : "Saved with the verdict (1, 2 or 3)";
    case "saving":
      return "Saving…";
    case "saved":
      return "Note saved ✓";
    case "error":
      return `Not saved: ${error ?? "the server refused"}${judged ? " The note is kept; Enter tries again." : " The note is kept."}`;
    case "needsVerdict":
      return "No verdict yet: press 1, 2 or 3 (C, F, U) to save the note with one.";
  }
}

export function NoteField({ testId, label, value, status, error, judged, disabled, placeholder, onChange, onCommit }: NoteFieldProps) {
  const text = statusText(status, judged, error);
  // Enter saves and hands the keys back to the page (so 1, 2, 3 and N work at once); that blur is not a second save.
  const leavingByEnter = useRef(false);
  const tone = status === "saved" ? "ok" : status === "error" ? "error" : status === "clean" || status === "saving" ? "muted" : "notice";
  return (
    <label className="note-field">
      <span className="small muted">{label}</span>
      <input
        data-testid={testId}
        className="verdict-note"
        placeholder={placeholder}
        value={value}
        maxLength={2000}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.nativeEvent.isComposing) {
            e.preventDefault();
            onCommit("enter");
            leavingByEnter.current = true;
            e.currentTarget.blur();
          }
        }}
        onBlur={() => {
          if (leavingByEnter.current) leavingByEnter.current = false;
          else onCommit("blur");
        }}
      />
      <span className={`small note-status ${tone}`} data-testid={`${testId}-status`} data-state={status} role={status === "error" ? "alert" : undefined} aria-live="polite">
        {text}
      </span>
    </label>
  );
}

// The selected event: its verdict buttons, its note, its verdict history; and, right after a verdict moved
// the selection on, the event just judged with its own note field (reviewState.ts says why).
import type { PolypEvent, VerdictValue } from "../../api/types";
import { formatScore, formatTime } from "../../timeline/format";
import { VerdictBadge, formatDateTime } from "../common";
import { VERDICT_LABELS } from "../labels";
import { NoteField } from "./NoteField";
import type { NoteStatus } from "./reviewState";
import { VerdictHistory } from "./VerdictHistory";

/** One event's note as the panel shows it. */
export interface NoteView {
  text: string;
  status: NoteStatus;
  error: string | null;
  onChange: (text: string) => void;
  onCommit: (how: "enter" | "blur") => void;
}

interface VerdictPanelProps {
  event: PolypEvent | null;
  index: number;
  total: number;
  fps: number;
  canVerdict: boolean;
  /** Why verdicts are off right now (processing), or null. */
  blockedReason: string | null;
  saving: boolean;
  note: NoteView | null;
  onVerdict: (value: VerdictValue) => void;
  /** The event judged just now (the selection moved on), with its position and note. */
  justJudged: { event: PolypEvent; index: number; note: NoteView } | null;
}

const BUTTONS: readonly { value: VerdictValue; label: string; keys: string; testId: string }[] = [
  { value: "confirmed", label: "Confirmed", keys: "1 / C", testId: "verdict-confirmed" },
  { value: "false_positive", label: "False positive", keys: "2 / F", testId: "verdict-false-positive" },
  { value: "uncertain", label: "Uncertain", keys: "3 / U", testId: "verdict-uncertain" },
];

export function VerdictPanel(props: VerdictPanelProps) {
  const { event, index, total, fps, canVerdict, blockedReason, saving, note, onVerdict, justJudged } = props;
  const judgedLine = justJudged && justJudged.event.verdict && (
    <div className="just-judged" data-testid="just-judged" data-event-id={justJudged.event.id}>
      <div className="small">
        <span className="ok">✓</span> Event {justJudged.index + 1}: <strong>{VERDICT_LABELS[justJudged.event.verdict.value]}</strong> saved
        <span className="muted">
          {" "}
          ({formatTime(justJudged.event.start_s)} – {formatTime(justJudged.event.end_s)})
        </span>
      </div>
      {canVerdict && (
        <NoteField
          testId="just-judged-note"
          label={`Add a note to event ${justJudged.index + 1} (Enter saves)`}
          value={justJudged.note.text}
          status={justJudged.note.status}
          error={justJudged.note.error}
          judged
          disabled={blockedReason !== null}
          placeholder="Note on the verdict just given"
          onChange={justJudged.note.onChange}
          onCommit={justJudged.note.onCommit}
        />
      )}
    </div>
  );

  if (!event) {
    return (
      <div className="verdict-panel">
        {judgedLine}
        <p className="muted">{total > 0 ? "Select an event (N / P, or click one)." : blockedReason ? "Events are listed as processing finds them." : "No events in this video."}</p>
      </div>
    );
  }
  const disabled = !canVerdict || blockedReason !== null || saving;
  const peakTime = formatTime(event.peak_index / Math.max(1, fps));
  return (
    <div className="verdict-panel" data-testid="verdict-panel" data-event-id={event.id}>
      {judgedLine}
      <div className="verdict-head">
        <strong>
          Event {index + 1} of {total}
        </strong>
        <span className="muted small">
          {formatTime(event.start_s)} – {formatTime(event.end_s)} · peak {formatScore(event.peak_score)} at {peakTime}
        </span>
      </div>
      <div className="verdict-current">
        <VerdictBadge value={event.verdict?.value ?? null} />
        {event.verdict && (
          <span className="small muted">
            {String(event.verdict.reviewer ?? "")} · {formatDateTime(event.verdict.created_at)}
          </span>
        )}
      </div>
      {canVerdict ? (
        <>
          <div className="verdict-buttons">
            {BUTTONS.map((b) => (
              <button
                key={b.value}
                type="button"
                data-testid={b.testId}
                className={`verdict-button v-${b.value}${event.verdict?.value === b.value ? " active" : ""}`}
                disabled={disabled}
                onClick={() => onVerdict(b.value)}
                // Keep focus off the button, so Space still plays/pauses instead of clicking it again.
                onMouseDown={(e) => e.preventDefault()}
              >
                {b.label} <kbd>{b.keys}</kbd>
              </button>
            ))}
          </div>
          {note && (
            <NoteField
              testId="verdict-note"
              label={`Note on event ${index + 1}${event.verdict ? " (Enter saves)" : " (saved with its verdict)"}`}
              value={note.text}
              status={note.status}
              error={note.error}
              judged={event.verdict !== null}
              disabled={blockedReason !== null}
              placeholder="Note (optional; Esc leaves the field)"
              onChange={note.onChange}
              onCommit={note.onCommit}
            />
          )}
        </>
      ) : (
        <p className="small muted">Verdicts are given by gastroenterologists.</p>
      )}
      {blockedReason && <p className="small notice">{blockedReason}</p>}
      {saving && <p className="small muted">Saving…</p>}
      <VerdictHistory eventId={event.id} current={event.verdict?.id ?? null} />
    </div>
  );
}

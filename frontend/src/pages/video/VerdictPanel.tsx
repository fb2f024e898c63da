import type { PolypEvent, VerdictValue } from "../../api/types";
import { formatScore, formatTime } from "../../timeline/format";
import { VerdictBadge, formatDateTime } from "../common";

interface VerdictPanelProps {
  event: PolypEvent | null;
  index: number;
  total: number;
  fps: number;
  canVerdict: boolean;
  /** Why verdicts are off right now (processing), or null. */
  blockedReason: string | null;
  note: string;
  onNote: (note: string) => void;
  saving: boolean;
  error: string | null;
  info: string | null;
  onVerdict: (value: VerdictValue) => void;
}

const BUTTONS: readonly { value: VerdictValue; label: string; keys: string; testId: string }[] = [
  { value: "confirmed", label: "Confirmed", keys: "1 / C", testId: "verdict-confirmed" },
  { value: "false_positive", label: "False positive", keys: "2 / F", testId: "verdict-false-positive" },
  { value: "uncertain", label: "Uncertain", keys: "3 / U", testId: "verdict-uncertain" },
];

export function VerdictPanel(props: VerdictPanelProps) {
  const { event, index, total, fps, canVerdict, blockedReason, note, onNote, saving, error, info, onVerdict } = props;
  if (!event) {
    return (
      <div className="verdict-panel">
        <p className="muted">{total > 0 ? "Select an event (N / P, or click one)." : blockedReason ? "Events are listed as processing finds them." : "No events in this video."}</p>
        {info && <p className="ok small">{info}</p>}
      </div>
    );
  }
  const disabled = !canVerdict || blockedReason !== null || saving;
  return (
    <div className="verdict-panel" data-testid="verdict-panel" data-event-id={event.id}>
      <div className="verdict-head">
        <strong>
          Event {index + 1} of {total}
        </strong>
        <span className="muted small">
          {formatTime(event.start_s)} – {formatTime(event.end_s)} · peak {formatScore(event.peak_score)} at #{event.peak_index}
        </span>
      </div>
      <div className="verdict-current">
        <VerdictBadge value={event.verdict?.value ?? null} />
        {event.verdict && <span className="small muted">{formatDateTime(event.verdict.created_at)}</span>}
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
          <input
            data-testid="verdict-note"
            className="verdict-note"
            placeholder="Note (optional; Esc leaves the field)"
            value={note}
            onChange={(e) => onNote(e.target.value)}
            disabled={blockedReason !== null}
          />
        </>
      ) : (
        <p className="small muted">Verdicts are given by gastroenterologists.</p>
      )}
      {blockedReason && <p className="small notice">{blockedReason}</p>}
      {saving && <p className="small muted">Saving…</p>}
      {error && (
        <p className="small error" role="alert">
          {error}
        </p>
      )}
      {info && <p className="small ok">{info}</p>}
    </div>
  );
}

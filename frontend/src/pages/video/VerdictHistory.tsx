// Every verdict given on an event, newest first: who, what, when, and the note.
import { memo } from "react";
import { useApi } from "../../api/useApi";
import { formatDateTime, VerdictBadge } from "../common";
import { listVerdicts } from "./reviewApi";

/** `current` is the id of the event's newest verdict: the history is read again when it changes. */
export const VerdictHistory = memo(function VerdictHistory({ eventId, current }: { eventId: number; current: number | null }) {
  const history = useApi((signal) => listVerdicts(eventId, signal), [eventId, current]);
  if (current === null) return null;
  const rows = history.data ?? [];
  return (
    <details className="verdict-history" data-testid="verdict-history" open>
      <summary className="small muted">
        History{history.data ? ` (${rows.length} verdict${rows.length === 1 ? "" : "s"})` : ""}
      </summary>
      {history.error && <p className="small error">History: {history.error.detail}</p>}
      <ol>
        {rows.map((v, i) => (
          <li key={v.id} data-testid="verdict-history-row" data-verdict={v.value} className={i === 0 ? "current" : undefined}>
            <VerdictBadge value={v.value} />
            {/* The same verdict again (newest first: the next row is the older one): a note was added or changed. */}
            {rows[i + 1]?.value === v.value && <span className="small muted"> note added</span>} <span className="small">{String(v.reviewer ?? "–")}</span>{" "}
            <span className="small muted">{formatDateTime(v.created_at)}</span>
            {v.note && <div className="small note-preview">“{v.note}”</div>}
          </li>
        ))}
      </ol>
    </details>
  );
});

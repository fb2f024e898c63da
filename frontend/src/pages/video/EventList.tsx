import { memo, useEffect, useRef } from "react";
import { frameImageUrl } from "../../api/client";
import type { LiveEvent, PolypEvent } from "../../api/types";
import { formatScore, formatTime } from "../../timeline/format";
import { VerdictBadge } from "../common";

/** Thumbnail width requested from the server (?width=): two thumbnails fit the sidebar at 2x DPR. */
const THUMB_WIDTH = 160;

interface EventListProps {
  videoId: number;
  fps: number;
  events: readonly PolypEvent[];
  liveEvents: readonly LiveEvent[];
  selectedId: number | null;
  /** Events with a note typed and not saved yet. */
  unsavedNotes: ReadonlySet<number>;
  onSelect: (event: PolypEvent) => void;
  onSeek: (frame: number) => void;
}

export const EventList = memo(function EventList({ videoId, fps, events, liveEvents, selectedId, unsavedNotes, onSelect, onSeek }: EventListProps) {
  const listRef = useRef<HTMLOListElement>(null);

  // Keep the selected row in view as N/P move through a long list.
  useEffect(() => {
    const row = listRef.current?.querySelector<HTMLElement>(`[data-event-id="${selectedId}"]`);
    row?.scrollIntoView({ block: "nearest" });
  }, [selectedId]);

  const t = (frame: number) => formatTime(frame / Math.max(1, fps));
  return (
    <>
      <ol className="events" ref={listRef}>
        {events.map((event, i) => (
          <li
            key={event.id}
            data-testid="event-row"
            data-event-id={event.id}
            className={`event${event.id === selectedId ? " selected" : ""}`}
            onClick={() => onSelect(event)}
            aria-selected={event.id === selectedId}
          >
            <img
              className="event-thumb"
              src={frameImageUrl(videoId, event.peak_index, THUMB_WIDTH)}
              alt={`Peak at ${t(event.peak_index)}`}
              loading="lazy"
              width={THUMB_WIDTH / 2}
            />
            <div className="event-body">
              <div className="event-title">
                <span className="event-number">#{i + 1}</span>
                <span>
                  {formatTime(event.start_s)} – {formatTime(event.end_s)}
                </span>
              </div>
              <div className="small muted">
                peak {formatScore(event.peak_score)} at {t(event.peak_index)}
              </div>
              <span data-testid="event-verdict" data-verdict={event.verdict?.value ?? ""}>
                <VerdictBadge value={event.verdict?.value ?? null} />
              </span>
              {event.verdict?.note && <div className="small muted note-preview">“{event.verdict.note}”</div>}
              {unsavedNotes.has(event.id) && (
                <div className="small notice" data-testid="event-unsaved-note">
                  ✎ note not saved yet
                </div>
              )}
            </div>
          </li>
        ))}
      </ol>
      {liveEvents.length > 0 && (
        <>
          <h3 className="subhead">Detected so far (processing)</h3>
          <ol className="events live">
            {liveEvents.map((event) => (
              <li key={event.start} data-testid="live-event-row" className="event" onClick={() => onSeek(event.peak)}>
                <img
                  className="event-thumb"
                  src={frameImageUrl(videoId, event.peak, THUMB_WIDTH)}
                  alt={`Peak at ${t(event.peak)}`}
                  loading="lazy"
                  width={THUMB_WIDTH / 2}
                />
                <div className="event-body">
                  <div className="event-title">
                    {t(event.start)} – {t(event.end + 1)}
                  </div>
                  <div className="small muted">peak {formatScore(event.peak_score)}</div>
                </div>
              </li>
            ))}
          </ol>
        </>
      )}
    </>
  );
});

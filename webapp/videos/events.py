"""Polyp events: runs of flagged frames grouped with hysteresis, what a gastroenterologist reviews.

One polyp in view for ten seconds is one event, not 250 frames; a brief dropout (motion blur, a fold,
a specular highlight drowning the polyp for a few frames) does not split it.

    1. An event opens on a frame whose polyp score reaches HIGH_SCORE and stays open while the score
       stays at or above LOW_SCORE (hysteresis: a score wobbling around one threshold does not
       open and close events frame after frame).
    2. Events separated by at most `max_gap` frames are merged.
    3. Events shorter than `min_frames` are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

# The engine's mask threshold is 0.5 (a pixel is polyp at probability >= 0.5) and the polyp score is
# the peak smoothed probability, so score >= 0.5 means the frame has a polyp mask: that opens an event.
HIGH_SCORE = 0.5
# Once a polyp is being tracked, a frame still counts while its peak probability is 0.3 or more:
# partial occlusion and blur lower the peak without the polyp leaving the view.
LOW_SCORE = 0.3
# Gaps of up to one second are merged: withdrawal speed and blur hide a polyp for well under a second,
# while a different polyp rarely follows within a second.
MAX_GAP_SECONDS = 1.0
# Events shorter than 0.2 s (5 frames at 25 fps) are dropped: a real polyp stays in view for seconds,
# single-frame detections are mostly highlights and bubbles.
MIN_EVENT_SECONDS = 0.2
# Frame rate assumed when a container does not state one (the common colonoscopy rate).
DEFAULT_FPS = 25.0


@dataclass(frozen=True)
class Event:
    start: int  # first frame index, inclusive
    end: int  # last frame index, inclusive
    peak: int  # frame index of the highest score
    peak_score: float

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def as_dict(self) -> dict:
        return asdict(self)


def frames_for(seconds: float, fps: float) -> int:
    """A duration in whole frames at fps (DEFAULT_FPS when unknown), at least 1."""
    return max(1, round(seconds * (fps if fps > 0 else DEFAULT_FPS)))


def find_events(
    scores: Sequence[float],
    *,
    high: float = HIGH_SCORE,
    low: float = LOW_SCORE,
    max_gap: int,
    min_frames: int,
) -> list[Event]:
    """scores: per-frame polyp scores in frame order (index = position). Events in frame order."""
    if not 0 <= low <= high <= 1:
        raise ValueError(f"thresholds must satisfy 0 <= low <= high <= 1, got low={low}, high={high}")
    runs: list[list[int]] = []  # [start, end] inclusive
    start = None
    for i, score in enumerate(scores):
        if start is None:
            if score >= high:
                start = i
        elif score < low:
            runs.append([start, i - 1])
            start = None
    if start is not None:
        runs.append([start, len(scores) - 1])

    merged: list[list[int]] = []
    for run in runs:
        if merged and run[0] - merged[-1][1] - 1 <= max_gap:
            merged[-1][1] = run[1]
        else:
            merged.append(run)

    events = []
    for first, last in merged:
        if last - first + 1 < min_frames:
            continue
        peak = max(range(first, last + 1), key=lambda j: scores[j])
        events.append(Event(first, last, peak, float(scores[peak])))
    return events


def find_events_at(scores: Sequence[float], fps: float) -> list[Event]:
    """find_events with the gap and length limits turned from seconds into frames at fps."""
    return find_events(scores, max_gap=frames_for(MAX_GAP_SECONDS, fps), min_frames=frames_for(MIN_EVENT_SECONDS, fps))


def find_events_in_runs(stored: Sequence[tuple[int, float]], fps: float) -> list[Event]:
    """Events of the frames known so far while others are still missing (the ranges of a video processed at once,
    some not done yet). stored: (frame index, score) in frame order. Each run of consecutive indices is searched on
    its own, so an event that reaches a missing stretch ends there; once every frame is known, find_events_at over
    all of them finds it whole (the final events of a video are always those)."""
    events: list[Event] = []
    first = 0
    for i in range(1, len(stored) + 1):
        if i == len(stored) or stored[i][0] != stored[i - 1][0] + 1:
            offset = stored[first][0]
            for e in find_events_at([score for _, score in stored[first:i]], fps):
                events.append(Event(e.start + offset, e.end + offset, e.peak + offset, e.peak_score))
            first = i
    return events

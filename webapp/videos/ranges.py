"""Frame ranges of a video: how a video is split, and decoding exactly the frames start..stop-1 of it.

Frame i is the i-th frame that decoding the file from its start delivers (what the upload counted, what the results
are stored under). OpenCV's seek (CAP_PROP_POS_FRAMES) turns a frame number into a timestamp as if the frame rate were
constant: on a file with a variable rate, or timestamps that do not start at zero, it lands on another frame (a crafted
variable-rate MP4 in tests/webapp/videos/test_ranges.py: frame 37 asked, frame 55 delivered). So a range seeks by
timestamp instead. The upload records the presentation time of every frame as it decodes the file from its start
(frame_times, stored as VideoFrameTimes); a range asks OpenCV for a position a little before its first frame, decodes
forward to the frame with the recorded time of its first frame, and checks the time of every frame it decodes after
that against the record. A seek that lands after the first frame is tried again further back, down to decoding from
the start of the file. Without a usable record (a video uploaded before ranges existed, or timestamps that are not
strictly increasing) a range decodes from the start of the file and skips to its first frame: exact, and slower.

Pure: OpenCV and NumPy only, no Django.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from inference.errors import InputError

log = logging.getLogger(__name__)

# The first seek asks for a position this many frames before the range's first frame. OpenCV itself decodes from the
# keyframe before the position it is asked for, so this margin only absorbs the error of its timestamp arithmetic
# (a variable rate drifts by more); a seek that still lands after the first frame is retried SEEK_BACK_FACTOR times
# further back.
SEEK_BACK_FRAMES = 32
SEEK_BACK_FACTOR = 8
# Two times are the same frame's when they differ by less than this (ms). Both come from the same integer timestamp
# through the same arithmetic; frames lie at least a millisecond apart even at 1000 fps.
SAME_TIME_MS = 1e-3


def plan(frame_count: int, range_frames: int) -> list[tuple[int, int]]:
    """(start, end) of each range, end exclusive: as few ranges as hold range_frames frames each, of equal length
    (within a frame), so that the workers on one video finish together. A video of range_frames frames or fewer is
    one range."""
    if range_frames < 1:
        raise ValueError(f"range_frames must be at least 1, got {range_frames}")
    count = max(frame_count, 1)
    n = math.ceil(count / range_frames)
    bounds = [round(i * count / n) for i in range(n + 1)]
    return list(zip(bounds, bounds[1:], strict=False))


def frame_times(capture: cv2.VideoCapture) -> np.ndarray:
    """Grab every frame of an opened capture from where it stands and return their presentation times (ms, float64,
    frame order). Grabbing decodes without converting to BGR: the cost of counting the frames."""
    times: list[float] = []
    while capture.grab():
        times.append(capture.get(cv2.CAP_PROP_POS_MSEC))
    return np.asarray(times, dtype=np.float64)


def pack_times(times: np.ndarray) -> bytes:
    return zlib.compress(np.asarray(times, dtype="<f8").tobytes())


def unpack_times(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(zlib.decompress(bytes(data)), dtype="<f8")


def seekable(times: np.ndarray | None) -> bool:
    """True when the times identify their frames: finite and strictly increasing (a stream without timestamps reads
    0 for every frame)."""
    return times is not None and len(times) > 0 and bool(np.all(np.isfinite(times))) and bool(
        np.all(np.diff(times) > 0))


def read_frames(path: Path, start: int, stop: int | None = None,
                times: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """(H, W, 3) uint8 BGR frames start..stop-1 of the video at path, exactly those (stop None: to the end of the
    file). times: the upload's frame_times; with usable times every frame's time is checked against them.

    Raises InputError when the file ends before `stop` (with stop None, a file that ends before `start` yields
    nothing), or when a frame's time differs from the record (the file decodes differently from how it did at
    upload)."""
    if stop is not None and start >= stop:
        return
    checked = times if seekable(times) else None
    cap = _capture_at(path, start, checked)
    if cap is None:
        if stop is not None:
            raise InputError(f"{path}: the video ends before frame {start}")
        return
    try:
        index = start
        while stop is None or index < stop:
            ok, frame = cap.retrieve()
            if not ok or frame is None:
                raise InputError(f"{path}: frame {index} could not be decoded")
            if checked is not None and index < len(checked):
                _check_time(cap, checked, index, path)
            yield frame
            index += 1
            if (stop is None or index < stop) and not cap.grab():
                if stop is not None:
                    raise InputError(f"{path}: the video ends at frame {index}, before frame {stop}")
                return
    finally:
        cap.release()


def _open(path: Path) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise InputError(f"{path}: not a video that can be decoded")
    return cap


def _capture_at(path: Path, start: int, times: np.ndarray | None) -> cv2.VideoCapture | None:
    """A capture whose last grabbed frame is frame `start` (the caller retrieves it); None when the file ends
    before."""
    if times is not None and 0 < start < len(times):
        target = float(times[start])
        back = SEEK_BACK_FRAMES
        while start - back > 0:
            cap = _open(path)
            cap.set(cv2.CAP_PROP_POS_FRAMES, start - back)
            skipped = 0
            while cap.grab():
                ms = cap.get(cv2.CAP_PROP_POS_MSEC)
                if abs(ms - target) < SAME_TIME_MS:
                    log.debug("%s: frame %s found %s frames after a seek to %s", path, start, skipped, start - back)
                    return cap
                if ms > target:
                    break  # the seek landed after the first frame: further back
                skipped += 1
            cap.release()
            log.info("%s: a seek to frame %s missed frame %s (at %.3f ms); seeking further back", path,
                     start - back, start, target)
            back *= SEEK_BACK_FACTOR
    cap = _open(path)  # from the start of the file: exact by definition
    for _ in range(start + 1):
        if not cap.grab():
            cap.release()
            return None
    if times is not None and start < len(times):
        _check_time(cap, times, start, path)
    return cap


def _check_time(cap: cv2.VideoCapture, times: np.ndarray, index: int, path: Path) -> None:
    ms = cap.get(cv2.CAP_PROP_POS_MSEC)
    if abs(ms - times[index]) >= SAME_TIME_MS:
        cap.release()
        raise InputError(f"{path}: frame {index} decoded at {ms:.3f} ms; the upload decoded it at "
                         f"{times[index]:.3f} ms")

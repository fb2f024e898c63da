import pytest

from webapp.videos.events import Event, find_events, find_events_at, frames_for


def test_one_event_opens_at_high_and_stays_open_down_to_low():
    scores = [0.1, 0.6, 0.4, 0.35, 0.2, 0.1]
    # Opens at 1 (>= 0.5), 2 and 3 stay (>= 0.3), 4 closes it.
    assert find_events(scores, max_gap=0, min_frames=1) == [Event(1, 3, 1, 0.6)]


def test_low_scores_alone_never_open_an_event():
    assert find_events([0.45, 0.4, 0.49, 0.3], max_gap=0, min_frames=1) == []


def test_a_short_dropout_does_not_split_an_event():
    scores = [0.9, 0.8, 0.1, 0.1, 0.7, 0.95, 0.0]
    # Runs [0, 1] and [4, 5]: a 2-frame gap, merged when max_gap >= 2; peak at 5.
    assert find_events(scores, max_gap=2, min_frames=1) == [Event(0, 5, 5, 0.95)]
    assert find_events(scores, max_gap=1, min_frames=1) == [Event(0, 1, 0, 0.9), Event(4, 5, 5, 0.95)]


def test_events_shorter_than_min_frames_are_dropped():
    scores = [0.9, 0.0, 0.0, 0.0, 0.8, 0.8, 0.8]
    assert find_events(scores, max_gap=0, min_frames=3) == [Event(4, 6, 4, 0.8)]


def test_an_event_running_to_the_last_frame_is_closed_there():
    assert find_events([0.0, 0.5, 0.5], max_gap=0, min_frames=1) == [Event(1, 2, 1, 0.5)]


def test_bad_thresholds_are_refused():
    with pytest.raises(ValueError):
        find_events([0.5], high=0.3, low=0.5, max_gap=0, min_frames=1)


def test_seconds_become_frames_at_the_video_rate():
    assert frames_for(1.0, 25.0) == 25
    assert frames_for(0.2, 25.0) == 5
    assert frames_for(0.2, 0.0) == 5  # unknown rate: 25 fps assumed
    assert frames_for(0.01, 5.0) == 1  # never zero


def test_ten_seconds_of_one_polyp_with_dropouts_is_one_event_at_25_fps():
    scores = [0.9] * 250
    for i in (40, 41, 42, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129):  # 3 and 10 frame dropouts
        scores[i] = 0.05
    scores += [0.0] * 50 + [0.9] * 2  # then a 2-frame flicker: shorter than 0.2 s, dropped
    assert find_events_at(scores, 25.0) == [Event(0, 249, 0, 0.9)]

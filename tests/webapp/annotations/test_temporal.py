"""webapp.annotations.temporal: frames whose mask appears, vanishes or jumps while their neighbours agree."""

import numpy as np
import pytest

from webapp.annotations.temporal import temporal_inconsistency


def test_a_mask_that_vanishes_for_one_frame_is_flagged_by_how_far_its_score_fell():
    scores = np.array([0.9, 0.9, 0.1, 0.9, 0.9])
    areas = np.array([0.05, 0.05, 0.0, 0.05, 0.05])
    strength = temporal_inconsistency(scores, areas)
    assert np.flatnonzero(strength).tolist() == [2]
    assert strength[2] == pytest.approx(1.0)  # the area fell from 0.05 to 0: all of it (>= the 0.8 score drop)


def test_a_mask_that_appears_for_one_frame_is_flagged():
    scores = np.array([0.05, 0.05, 0.95, 0.05, 0.05])
    areas = np.array([0.0, 0.0, 0.0005, 0.0, 0.0])  # too small for an area jump: the score flip alone
    strength = temporal_inconsistency(scores, areas)
    assert np.flatnonzero(strength).tolist() == [2] and strength[2] == pytest.approx(0.9)


def test_an_area_that_jumps_while_the_neighbours_agree_is_flagged_though_every_score_is_confident():
    scores = np.full(5, 0.97)
    areas = np.array([0.04, 0.04, 0.12, 0.042, 0.04])
    strength = temporal_inconsistency(scores, areas)
    assert np.flatnonzero(strength).tolist() == [2]
    assert strength[2] == pytest.approx((0.12 - 0.041) / 0.12)


def test_steady_growth_noise_and_boundaries_are_not_flagged():
    growing = np.linspace(0.01, 0.2, 20)  # the polyp comes closer: each frame a little larger
    assert not temporal_inconsistency(np.full(20, 0.9), growing).any()
    tiny = np.array([0.0, 0.0, 0.0008, 0.0, 0.0])  # under MIN_AREA, and the score stays below 0.5
    assert not temporal_inconsistency(np.full(5, 0.2), tiny).any()
    # The first and last frames have one neighbour each; an event's start and end are not errors.
    assert not temporal_inconsistency(np.array([0.9, 0.1, 0.1]), np.array([0.05, 0.0, 0.0])).any()
    # Neighbours that disagree (an edge of an event) do not make the middle frame an outlier.
    assert not temporal_inconsistency(np.array([0.1, 0.9, 0.9]), np.array([0.0, 0.05, 0.05])).any()
    assert temporal_inconsistency(np.array([]), np.array([])).shape == (0,)


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError):
        temporal_inconsistency(np.zeros(3), np.zeros(4))

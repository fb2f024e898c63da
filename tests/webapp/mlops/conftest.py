"""Labelled data for the retraining loop, made through the app's real write paths: studies of several patients,
videos processed by the real pipeline (tiny model), corrections saved as mask revisions (tests/webapp/mlops/
factories.py)."""

from __future__ import annotations

import pytest

from tests.webapp.mlops.factories import PATIENTS, correct_frames, disc_mask, make_labelled_studies  # noqa: F401


@pytest.fixture
def labelled_studies(tmp_path):
    """Three patients, one processed 12-frame video each, 3 corrected frames per video. Returns
    (admin, annotator, [(study, video), ...])."""
    return make_labelled_studies(tmp_path)

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from inference.checkpoint import save_checkpoint
from inference.models import build_model


def write_tiny_checkpoint(path: Path, version: str = "test-tiny") -> Path:
    """Random-weight SCR-Net at a 32-pixel input: the real engine path, at a cost of milliseconds a frame."""
    import torch

    torch.manual_seed(0)
    save_checkpoint(path, build_model("scrnet"), {"version": version, "input_size": 32})
    return path


def disc_mask(height: int, width: int, cx: float, cy: float, r: float) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    cv2.circle(mask, (int(cx * width), int(cy * height)), int(r * min(height, width)), 1, -1)
    return mask.astype(bool)


def correct_frames(video, author, frames) -> list:
    """Save a person's mask (a disc) on each of `frames` of `video` through the real service."""
    from webapp.annotations.selectors import frame_target_get_visible
    from webapp.annotations.services import mask_revision_create
    from webapp.videos import rle

    out = []
    for i, index in enumerate(frames):
        target = frame_target_get_visible(user=author, video_id=video.pk, index=index)
        mask = disc_mask(video.height, video.width, 0.5, 0.5, 0.2 + 0.02 * i)
        out.append(mask_revision_create(target=target, author=author, rle_text=rle.encode(mask), based_on_id=None))
    return out


# Pseudonyms checked against the split rule: none of them hashes into the holdout, so the third patient
# becomes the first holdout patient (snapshots.FIRST_HOLDOUT_AFTER) whatever order they arrive in.
PATIENTS = ("LOOP-A", "LOOP-D", "LOOP-E")



def make_labelled_studies(tmp_path: Path, admin=None, annotator=None):
    """Three patients (PATIENTS), one processed 12-frame video each, 3 corrected frames per video, all through
    the real services. Returns (admin, annotator, [(study, video), ...])."""
    from tests.webapp.accounts.factories import make_user
    from tests.webapp.studies.factories import make_study
    from tests.webapp.videos.factories import make_video
    from webapp.accounts.models import Role
    from webapp.videos.models import Video
    from webapp.videos.pipeline import video_process

    admin = admin or make_user(Role.ADMIN)
    annotator = annotator or make_user(Role.ANNOTATOR)
    pairs = []
    for pseudo in PATIENTS:
        study = make_study(admin, pseudo_id=pseudo)
        video = make_video(tmp_path, study, admin, frames=12)
        video_process(video_id=video.pk)
        video = Video.objects.get(pk=video.pk)
        correct_frames(video, admin, [2, 5, 8])
        pairs.append((study, video))
    return admin, annotator, pairs

"""webapp.annotations.labels: the current label of a target, its precedence, order and counts."""

import zipfile

import numpy as np
import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import kvasir_zip, make_study
from tests.webapp.videos.factories import make_video
from webapp.accounts.models import Role
from webapp.annotations.labels import current_label, current_labels, label_counts, labelled_targets
from webapp.annotations.services import mask_revision_create
from webapp.annotations.targets import MaskTarget
from webapp.studies.importers import study_import_kvasir_zip
from webapp.studies.models import StillImage
from webapp.videos import rle
from webapp.videos.pipeline import video_process

pytestmark = pytest.mark.django_db


def _mask(height: int, width: int, top: int) -> str:
    mask = np.zeros((height, width), bool)
    mask[top:top + 4, 2:8] = True
    return rle.encode(mask)


def _revise(target: MaskTarget, author, top: int, based_on=None):
    return mask_revision_create(target=target, author=author, rle_text=_mask(target.height, target.width, top),
                                based_on_id=based_on.pk if based_on else None)


@pytest.fixture
def imported(tmp_path, owner):
    kvasir_zip(tmp_path / "kv.zip", n=3)
    return study_import_kvasir_zip(owner=owner, archive=tmp_path / "kv.zip", name="kv.zip", patient_pseudo_id="KV-1")


def test_a_revision_supersedes_ground_truth_and_the_newest_revision_wins(imported, owner):
    annotator = make_user(Role.ANNOTATOR)
    still = StillImage.objects.filter(study=imported).order_by("id").first()
    target = MaskTarget(image=still)
    truth = current_label(target=target)
    assert truth.source == "ground_truth" and truth.mask_id is not None and truth.revision_id is None
    assert (truth.height, truth.width, truth.patient_id) == (40, 56, imported.patient_id)

    first = _revise(target, annotator, top=1)
    second = _revise(target, annotator, top=9, based_on=first)
    label = current_label(target=target)
    assert (label.source, label.revision_id, label.mask_id, label.rle) == ("revision", second.pk, None, second.rle)


def test_an_unrevised_frame_has_no_label(done_video):
    assert current_label(target=MaskTarget(video=done_video, frame_index=0)) is None


def test_current_labels_orders_by_study_then_frames_then_images_in_few_queries(
        imported, done_video, owner, tmp_path, django_assert_max_num_queries):
    annotator = make_user(Role.ANNOTATOR)
    other = make_video(tmp_path, done_video.study, owner, frames=12)  # a second video of the same study, newer
    video_process(video_id=other.pk)  # corrections need the frame processed (409 frame_not_processed otherwise)
    _revise(MaskTarget(video=other, frame_index=1), annotator, top=3)
    base = _revise(MaskTarget(video=done_video, frame_index=4), annotator, top=3)
    newest = _revise(MaskTarget(video=done_video, frame_index=4), annotator, top=20, based_on=base)
    _revise(MaskTarget(video=done_video, frame_index=0), annotator, top=5)
    stills = list(StillImage.objects.filter(study=imported).order_by("id"))
    revised = _revise(MaskTarget(image=stills[1]), annotator, top=2)
    make_study(owner)  # a study without labels contributes nothing

    with django_assert_max_num_queries(3):
        labels = current_labels(study_ids=[imported.pk, done_video.study_id])
    expected_frames = [("frame", done_video.pk, 0), ("frame", done_video.pk, 4), ("frame", other.pk, 1)]
    frames = [(lb.kind, lb.video_id, lb.frame_index) for lb in labels if lb.study_id == done_video.study_id]
    images = [(lb.image_id, lb.source) for lb in labels if lb.study_id == imported.pk]
    assert [lb.study_id for lb in labels] == sorted(lb.study_id for lb in labels)
    assert frames == expected_frames
    assert images == [(stills[0].pk, "ground_truth"), (stills[1].pk, "revision"), (stills[2].pk, "ground_truth")]
    frame4 = next(lb for lb in labels if lb.video_id == done_video.pk and lb.frame_index == 4)
    assert frame4.revision_id == newest.pk and (frame4.height, frame4.width) == (48, 64)
    assert next(lb for lb in labels if lb.image_id == stills[1].pk).revision_id == revised.pk

    frames_set, images_set = labelled_targets(study_ids=[imported.pk, done_video.study_id])
    assert frames_set == {(done_video.pk, 0), (done_video.pk, 4), (other.pk, 1)}
    assert images_set == {s.pk for s in stills}


def test_label_counts_count_revised_frames_and_images(tmp_path, done_video, owner):
    annotator = make_user(Role.ANNOTATOR)
    empty = make_study(owner)
    for frame in (1, 2, 3):
        _revise(MaskTarget(video=done_video, frame_index=frame), annotator, top=frame)
    # img0 comes without ground truth: only a revision labels it.
    kvasir_zip(tmp_path / "full.zip", n=3)
    with zipfile.ZipFile(tmp_path / "full.zip") as full, zipfile.ZipFile(tmp_path / "kv.zip", "w") as kv:
        for member in full.namelist():
            if member != "masks/img0.png":
                kv.writestr(member, full.read(member))
    imported = study_import_kvasir_zip(owner=owner, archive=tmp_path / "kv.zip", name="kv.zip",
                                       patient_pseudo_id="KV-2")
    still = StillImage.objects.get(study=imported, original_name="img0.jpg")
    assert label_counts(study_ids=[imported.pk])[imported.pk] == {"frames": 0, "images": 2}
    _revise(MaskTarget(image=still), annotator, top=1)
    assert label_counts(study_ids=[imported.pk, done_video.study_id, empty.pk]) == {
        imported.pk: {"frames": 0, "images": 3},
        done_video.study_id: {"frames": 3, "images": 0},
        empty.pk: {"frames": 0, "images": 0},
    }

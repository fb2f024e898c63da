"""Which model version a correction corrected and by how much (Dice), the per-version summary, and the
correction queue's temporally inconsistent frames, on frames stored by the real pipeline."""

import numpy as np
import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import kvasir_zip
from tests.webapp.videos.factories import make_video
from webapp.accounts.models import Role
from webapp.annotations.labels import newest_revision
from webapp.annotations.selectors import corrections_by_model_version
from webapp.annotations.services import mask_revision_create
from webapp.annotations.targets import MaskTarget
from webapp.mlops.services import model_version_ensure_active
from webapp.studies.importers import study_import_kvasir_zip
from webapp.studies.models import Mask, MaskSource, StillImage
from webapp.videos import pipeline, rle
from webapp.videos.models import FrameResult, Video
from webapp.videos.stills import still_images_predict

pytestmark = pytest.mark.django_db

POLYP = (slice(10, 20), slice(20, 30))  # rows, columns of the scripted polyp in a 48 x 64 frame


def _scripted_prob(index: int) -> np.ndarray:
    """A polyp in frames 2..9, except frame 5, where the model 'loses' it for one frame."""
    prob = np.zeros((48, 64), np.float32)
    if 2 <= index <= 9 and index != 5:
        prob[POLYP] = 0.9
    return prob


@pytest.fixture
def scripted_video(tmp_path, study, owner, monkeypatch) -> Video:
    """A 12-frame video processed by the real pipeline, with the real engine's results built from scripted
    probability maps (the tiny test model's random weights draw nothing meaningful)."""
    real_engine_for = pipeline.engine_for

    def scripted(model_version):
        engine = real_engine_for(model_version)

        class Scripted:
            batch = engine.batch

            def predict_batch(self, frames, start_index=0):
                return [engine._result(start_index + i, _scripted_prob(start_index + i),
                                       float(_scripted_prob(start_index + i).max()) or 0.02)
                        for i in range(len(frames))]

        return Scripted()

    monkeypatch.setattr(pipeline, "engine_for", scripted)
    video = make_video(tmp_path, study, owner, frames=12)
    pipeline.video_process(video_id=video.pk)
    return Video.objects.get(pk=video.pk)


def test_a_frame_whose_mask_vanishes_for_one_frame_is_queued_as_temporally_inconsistent(
        api_client, scripted_video, annotator):
    assert FrameResult.objects.get(video=scripted_video, index=5).area == 0.0
    api_client.force_authenticate(annotator)
    items = api_client.get("/api/correction-queue/").json()["results"]
    assert [(i["reason"], i["frame"], i["score"]) for i in items] == [("temporal_inconsistency", 5, 0.02)]
    assert items[0]["name"] == scripted_video.original_name and items[0]["patient_pseudo_id"]

    drawn = np.zeros((48, 64), bool)
    drawn[POLYP] = True
    response = api_client.post(f"/api/videos/{scripted_video.pk}/frames/5/revisions/",
                               {"based_on": None, "rle": rle.encode(drawn)}, format="json")
    assert response.status_code == 201
    # The model predicted nothing where the person drew the polyp: Dice 0, credited to the video's version.
    assert (response.json()["model_version"], response.json()["prediction_dice"]) == (
        scripted_video.model_version_id, 0.0)
    assert api_client.get("/api/correction-queue/").json()["results"] == []


def test_corrections_by_model_version_count_first_revisions_with_their_mean_dice(scripted_video, annotator):
    version = scripted_video.model_version_id
    polyp = np.zeros((48, 64), bool)
    polyp[POLYP] = True
    # Frame 3: the person accepts the prediction as it is (Dice 1); frame 5: draws what the model missed (0).
    for frame in (3, 5):
        mask_revision_create(target=MaskTarget(video=scripted_video, frame_index=frame), author=annotator,
                             rle_text=rle.encode(polyp), based_on_id=None)
    # Frame 0: both empty, Dice 1 by definition.
    empty = mask_revision_create(target=MaskTarget(video=scripted_video, frame_index=0), author=annotator,
                                 rle_text=rle.encode(np.zeros((48, 64), bool)), based_on_id=None)
    assert empty.prediction_dice == 1.0 and empty.model_version_id == version
    # A later revision refines a person's mask; it is not a correction of the model and does not count.
    target = MaskTarget(video=scripted_video, frame_index=3)
    half = polyp.copy()
    half[:15] = False
    later = mask_revision_create(target=target, author=annotator, rle_text=rle.encode(half),
                                 based_on_id=newest_revision(target=target).pk)
    assert later.prediction_dice == pytest.approx(2 * 50 / (100 + 50))
    assert corrections_by_model_version() == {version: {"count": 3, "mean_dice": pytest.approx(2 / 3)}}


def test_a_still_images_revision_names_the_version_of_its_newest_prediction(tmp_path, owner):
    kvasir_zip(tmp_path / "kv.zip", n=1)
    study = study_import_kvasir_zip(owner=owner, archive=tmp_path / "kv.zip", name="kv.zip", patient_pseudo_id="P")
    still = StillImage.objects.get(study=study)
    unpredicted = mask_revision_create(target=MaskTarget(image=still), author=make_user(Role.ANNOTATOR),
                                       rle_text=rle.encode(np.zeros((40, 56), bool)), based_on_id=None)
    assert (unpredicted.model_version_id, unpredicted.prediction_dice) == (None, None)

    still_images_predict(image_ids=[still.pk])
    prediction = rle.decode(Mask.objects.get(image=still, source=MaskSource.MODEL).rle, 40, 56)
    revision = mask_revision_create(target=MaskTarget(image=still), author=make_user(Role.ANNOTATOR),
                                    rle_text=rle.encode(prediction), based_on_id=unpredicted.pk)
    assert (revision.model_version_id, revision.prediction_dice) == (model_version_ensure_active().pk, 1.0)

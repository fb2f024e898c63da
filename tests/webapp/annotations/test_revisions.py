import threading

import numpy as np
import pytest
from django.db import connection

from tests.webapp.accounts.factories import make_user
from tests.webapp.annotations.factories import square_rle
from webapp.accounts.models import Role
from webapp.annotations.models import MaskRevision
from webapp.annotations.selectors import MaskTarget
from webapp.annotations.services import RevisionConflict, mask_revision_create
from webapp.audit.models import Action, AuditEntry
from webapp.studies.services import study_add_member
from webapp.videos import rle
from webapp.videos.models import FrameResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(api_client, annotator):
    api_client.force_authenticate(annotator)
    return api_client


def test_the_mask_state_of_a_frame_starts_from_the_models_prediction(client_of, done_video):
    body = client_of.get(f"/api/videos/{done_video.pk}/frames/5/mask/").json()
    stored = FrameResult.objects.get(video=done_video, index=5).mask_rle
    assert body == {"height": 48, "width": 64, "prediction": stored, "ground_truth": None, "current": None}


def test_saving_creates_a_revision_that_names_its_base_and_becomes_current(client_of, done_video, annotator):
    url = f"/api/videos/{done_video.pk}/frames/5/"
    first_rle, _ = square_rle(48, 64)
    first = client_of.post(url + "revisions/", {"based_on": None, "rle": first_rle}, format="json")
    assert first.status_code == 201
    assert first.json()["based_on"] is None and first.json()["author"] == annotator.username
    second_rle, second_mask = square_rle(48, 64, top=10, size=8)
    second = client_of.post(url + "revisions/", {"based_on": first.json()["id"], "rle": second_rle, "note": "fold"},
                            format="json")
    assert second.status_code == 201 and second.json()["based_on"] == first.json()["id"]
    state = client_of.get(url + "mask/").json()
    assert state["current"]["id"] == second.json()["id"]
    assert np.array_equal(rle.decode(state["current"]["rle"], 48, 64), second_mask)
    assert [r["id"] for r in client_of.get(url + "revisions/").json()] == [second.json()["id"], first.json()["id"]]
    assert AuditEntry.objects.filter(action=Action.MASK_CORRECT).count() == 2


def test_a_stale_save_gets_409_with_the_newer_revision_and_writes_nothing(client_of, api_client, done_video, study):
    url = f"/api/videos/{done_video.pk}/frames/3/revisions/"
    theirs_rle, _ = square_rle(48, 64)
    other = make_user(Role.ANNOTATOR, username="other-annotator")
    study_add_member(study=study, user=other)
    from rest_framework.test import APIClient

    their_client = APIClient()
    their_client.force_authenticate(other)
    theirs = their_client.post(url, {"based_on": None, "rle": theirs_rle}, format="json").json()
    mine_rle, _ = square_rle(48, 64, top=20)
    response = client_of.post(url, {"based_on": None, "rle": mine_rle}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict" and "other-annotator saved a newer revision" in body["detail"]
    assert body["current"]["id"] == theirs["id"] and body["current"]["rle"] == theirs_rle
    assert MaskRevision.objects.count() == 1
    # Saving on top of theirs, as the UI offers, succeeds and keeps both in the chain.
    again = client_of.post(url, {"based_on": theirs["id"], "rle": mine_rle}, format="json")
    assert again.status_code == 201 and again.json()["based_on"] == theirs["id"]


def test_two_simultaneous_saves_on_one_base_cannot_both_succeed(done_video, annotator, transactional_db):
    """Two threads with their own database connections race on the same base: exactly one wins."""
    target = MaskTarget(video=done_video, frame_index=4)
    text, _ = square_rle(48, 64)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def save() -> None:
        barrier.wait()
        try:
            mask_revision_create(target=target, author=annotator, rle_text=text, based_on_id=None)
            outcomes.append("saved")
        except RevisionConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=save) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    assert MaskRevision.objects.filter(video=done_video, frame_index=4).count() == 1


@pytest.mark.parametrize("bad", ["not rle!", "0", "X<"])
def test_a_mask_that_does_not_fit_the_frame_is_a_400(client_of, done_video, bad):
    response = client_of.post(f"/api/videos/{done_video.pk}/frames/1/revisions/", {"based_on": None, "rle": bad},
                              format="json")
    assert response.status_code == 400 and "48 x 64" in response.json()["detail"]
    assert not MaskRevision.objects.exists()


def test_a_frame_outside_the_video_is_a_404(client_of, done_video):
    assert client_of.get(f"/api/videos/{done_video.pk}/frames/12/mask/").status_code == 404


def test_gastroenterologists_read_masks_but_only_annotators_and_admins_save(api_client, done_video, owner):
    api_client.force_authenticate(owner)  # the owner is a gastroenterologist
    url = f"/api/videos/{done_video.pk}/frames/1/"
    assert api_client.get(url + "mask/").status_code == 200
    text, _ = square_rle(48, 64)
    assert api_client.post(url + "revisions/", {"based_on": None, "rle": text}, format="json").status_code == 403


def test_still_images_have_revisions_on_top_of_their_ground_truth(tmp_path, client_of, api_client, annotator):
    from tests.webapp.studies.factories import kvasir_zip
    from webapp.studies.importers import study_import_kvasir_zip

    kvasir_zip(tmp_path / "k.zip", n=1)
    study = study_import_kvasir_zip(owner=annotator, archive=tmp_path / "k.zip", name="k.zip", patient_pseudo_id="K-1")
    image = study.images.get()
    state = client_of.get(f"/api/images/{image.pk}/mask/").json()
    assert state["ground_truth"] is not None and state["current"] is None
    assert (state["height"], state["width"]) == (40, 56)
    text, mask = square_rle(40, 56)
    saved = client_of.post(f"/api/images/{image.pk}/revisions/", {"based_on": None, "rle": text}, format="json")
    assert saved.status_code == 201
    current = client_of.get(f"/api/images/{image.pk}/mask/").json()["current"]
    assert np.array_equal(rle.decode(current["rle"], 40, 56), mask)

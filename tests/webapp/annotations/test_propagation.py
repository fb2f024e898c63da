"""Mask propagation through the API: a corrected frame's mask proposed for its neighbours, proposals as revisions
of kind `propagated`, stopping at a person's revision, accepted in one action, never labels until accepted.

The worker's part (`propagation_run`) is called here as the Celery task calls it; the browser test
(tests/e2e/test_propagation_flow.py) runs it on a real worker."""

import cv2
import numpy as np
import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.annotations.factories import square_rle
from webapp import media
from webapp.accounts.models import Role
from webapp.annotations.labels import current_labels
from webapp.annotations.models import MaskRevision, Propagation, RevisionKind
from webapp.annotations.propagation import _decode, propagation_run
from webapp.audit.models import Action, AuditEntry
from webapp.studies.services import study_add_member
from webapp.videos import rle

pytestmark = pytest.mark.django_db

H, W = 48, 64


@pytest.fixture
def client_of(api_client, annotator):
    api_client.force_authenticate(annotator)
    return api_client


def _correct(client, video, frame, top=14, left=20, size=12, based_on=None):
    text, _ = square_rle(H, W, top=top, left=left, size=size)
    response = client.post(f"/api/videos/{video.pk}/frames/{frame}/revisions/", {"based_on": based_on, "rle": text},
                           format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _propagate(client, video, frame, **counts):
    response = client.post(f"/api/videos/{video.pk}/frames/{frame}/propagate/", counts, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["task_id"] == body["id"]
    propagation_run(propagation_id=body["task_id"])  # what the `annotations.propagate` task runs
    return client.get(f"/api/propagations/{body['task_id']}/").json()


def test_each_reached_frame_gets_the_proposal_as_current_naming_its_keyframe(client_of, done_video):
    source = _correct(client_of, done_video, 5)
    assert source["kind"] == "person" and source["propagated_from"] is None
    job = _propagate(client_of, done_video, 5, forward=3, backward=2)
    assert job["status"] == "done" and job["progress"] == 1.0
    assert job["result"]["proposals"] == 5
    for frame in (3, 4, 6, 7, 8):
        current = client_of.get(f"/api/videos/{done_video.pk}/frames/{frame}/mask/").json()["current"]
        assert current["kind"] == "propagated", frame
        assert current["propagated_from"] == source["id"] and current["blended_with"] is None
        assert rle.decode(current["rle"], H, W).any(), f"frame {frame}: the square vanished"
    for frame in (2, 9):  # outside the requested counts
        assert client_of.get(f"/api/videos/{done_video.pk}/frames/{frame}/mask/").json()["current"] is None
    # every revision in the API says its kind
    history = client_of.get(f"/api/videos/{done_video.pk}/frames/6/revisions/").json()
    assert [r["kind"] for r in history] == ["propagated"]
    assert AuditEntry.objects.filter(action=Action.MASK_PROPAGATE, target_id=str(job["id"])).count() == 1


def test_the_static_square_is_carried_unchanged_on_a_still_background(client_of, done_video):
    # The synthetic clip's background is still outside its middle third: the flow is zero there, so the corrected
    # square must arrive where it was drawn (the model's prior does not overlap it and is ignored).
    _correct(client_of, done_video, 1, top=20, left=30, size=10)
    _propagate(client_of, done_video, 1, forward=2, backward=0)
    _, square = square_rle(H, W, top=20, left=30, size=10)
    proposal = MaskRevision.objects.get(video=done_video, frame_index=2)
    got = rle.decode(proposal.rle, H, W).astype(bool)
    dice = 2 * (got & square).sum() / (got.sum() + square.sum())
    assert dice > 0.9


def test_propagation_stops_at_a_persons_revision_and_blends_between_keyframes(client_of, done_video):
    first = _correct(client_of, done_video, 3)
    far = _correct(client_of, done_video, 7, top=16, left=24)
    job = _propagate(client_of, done_video, 3, forward=8, backward=0)
    assert job["result"]["forward"]["until"] == 7
    heads = {r.frame_index: r for r in MaskRevision.objects.filter(video=done_video, next_revision__isnull=True)}
    assert heads[7].pk == far["id"] and heads[7].kind == RevisionKind.PERSON  # never overwritten
    for frame in (4, 5, 6):
        assert heads[frame].kind == RevisionKind.PROPAGATED
        assert heads[frame].propagated_from_id == first["id"] and heads[frame].blended_with_id == far["id"]
    assert not any(f > 7 for f in heads if heads[f].kind == RevisionKind.PROPAGATED)


def test_proposals_are_not_labels_until_accepted_in_one_action(client_of, done_video, annotator, study):
    _correct(client_of, done_video, 5)
    _propagate(client_of, done_video, 5, forward=3, backward=0)
    labelled = {lab.frame_index for lab in current_labels(study_ids=[study.pk])}
    assert labelled == {5}
    listed = client_of.get(f"/api/videos/{done_video.pk}/proposals/").json()
    assert [p["frame"] for p in listed] == [6, 7, 8]
    response = client_of.post(f"/api/videos/{done_video.pk}/proposals/accept/", {"first": 6, "last": 7},
                              format="json")
    assert response.status_code == 200
    accepted = response.json()
    assert [r["kind"] for r in accepted] == ["person", "person"]
    assert {lab.frame_index for lab in current_labels(study_ids=[study.pk])} == {5, 6, 7}
    assert [p["frame"] for p in client_of.get(f"/api/videos/{done_video.pk}/proposals/").json()] == [8]
    entry = AuditEntry.objects.get(action=Action.PROPOSALS_ACCEPT)
    assert entry.actor_username == annotator.username and entry.detail["frames"] == [6, 7]
    proposal = MaskRevision.objects.get(video=done_video, frame_index=6, kind=RevisionKind.PROPAGATED)
    assert MaskRevision.objects.get(based_on=proposal).rle == proposal.rle


def test_a_persons_edit_supersedes_a_proposal_and_a_rerun_writes_nothing_twice(client_of, done_video):
    _correct(client_of, done_video, 5)
    job = _propagate(client_of, done_video, 5, forward=2, backward=0)
    proposal = client_of.get(f"/api/videos/{done_video.pk}/frames/6/mask/").json()["current"]
    mine = _correct(client_of, done_video, 6, top=2, based_on=proposal["id"])
    assert mine["based_on"] == proposal["id"]
    Propagation.objects.filter(pk=job["id"]).update(status="running")  # a redelivered, interrupted task
    before = MaskRevision.objects.count()
    propagation_run(propagation_id=job["id"])
    assert MaskRevision.objects.count() == before  # frame 6 is a person's now, frame 7 has this proposal
    assert client_of.get(f"/api/videos/{done_video.pk}/frames/6/mask/").json()["current"]["id"] == mine["id"]


def test_bad_requests_are_refused_with_a_clear_message_and_write_nothing(client_of, done_video, study):
    url = f"/api/videos/{done_video.pk}/frames/5/propagate/"
    no_correction = client_of.post(url, {}, format="json")
    assert no_correction.status_code == 409 and "save a corrected mask" in no_correction.json()["detail"]
    _correct(client_of, done_video, 5)
    too_far = client_of.post(url, {"forward": 1000}, format="json")
    assert too_far.status_code == 400 and "forward" in too_far.json()
    nothing = client_of.post(url, {"forward": 0, "backward": 0}, format="json")
    assert nothing.status_code == 400 and "both 0" in nothing.json()["detail"]
    assert client_of.post(f"/api/videos/{done_video.pk}/frames/99/propagate/", {}, format="json").status_code == 404
    assert client_of.post(f"/api/videos/{done_video.pk}/proposals/accept/", {"first": 7, "last": 2},
                          format="json").status_code == 400
    assert Propagation.objects.count() == 0


def test_only_annotators_and_admins_propagate(api_client, done_video, study, annotator):
    api_client.force_authenticate(annotator)
    _correct(api_client, done_video, 5)
    url = f"/api/videos/{done_video.pk}/frames/5/propagate/"
    gastro = make_user(Role.GASTROENTEROLOGIST)
    study_add_member(study=study, user=gastro)
    api_client.force_authenticate(gastro)
    assert api_client.post(url, {}, format="json").status_code == 403
    assert api_client.post(f"/api/videos/{done_video.pk}/proposals/accept/", {"first": 0, "last": 3},
                           format="json").status_code == 403
    api_client.force_authenticate(None)
    assert api_client.post(url, {}, format="json").status_code in (401, 403)
    assert Propagation.objects.count() == 0


def test_a_closed_study_refuses_propagation(client_of, done_video, study, owner):
    from webapp.studies.services import study_set_status

    _correct(client_of, done_video, 5)
    study_set_status(study=study, status="closed", user=owner)
    response = client_of.post(f"/api/videos/{done_video.pk}/frames/5/propagate/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "study_closed"


def test_frames_decoded_by_seeking_are_the_frames_of_a_sequential_decode(done_video):
    with media.local_copy(done_video.file.name) as path:
        cap = cv2.VideoCapture(str(path))
        sequential = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            sequential.append(frame)
        cap.release()
    sought = _decode(done_video, 6, 9)
    for index in range(6, 10):
        assert np.array_equal(sought[index], sequential[index]), index


def test_only_peoples_masks_count_as_corrections_of_a_model_version(client_of, done_video):
    from webapp.annotations.selectors import corrections_by_model_version

    _correct(client_of, done_video, 5)
    _propagate(client_of, done_video, 5, forward=2, backward=0)
    assert sum(v["count"] for v in corrections_by_model_version().values()) == 1  # the proposals are not
    client_of.post(f"/api/videos/{done_video.pk}/proposals/accept/", {"first": 6, "last": 6}, format="json")
    assert sum(v["count"] for v in corrections_by_model_version().values()) == 2  # an accepted one is

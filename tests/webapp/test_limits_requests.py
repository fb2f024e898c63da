"""Request-level defects of issue 11, each attacked for real through the API: a NUL in a query string (was a
500), a JSON body over 10 MB (was an HTML 400), a 9 MB RLE string (2.2 s of CPU before its 400), a revision on
a frame not processed yet (was accepted), and the schema (readable without a role; wrong for the correction
queue and the revisions' 409)."""

from __future__ import annotations

import json
import time

import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.annotations.factories import square_rle
from webapp.accounts.models import Role
from webapp.annotations.models import MaskRevision
from webapp.videos import rle

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(api_client):
    api_client.force_authenticate(make_user(Role.ADMIN))
    return api_client


def test_a_nul_in_any_query_string_is_a_400_not_a_500(admin_client, study, done_video):
    gets = [
        "/api/users/?role=%00", "/api/users/?include_inactive=%00",
        "/api/audit/?action=%00", "/api/audit/?actor=%00", "/api/audit/?target_type=%00",
        "/api/audit/?target_id=%00", "/api/audit/?date_from=%00", "/api/audit/export/?action=%00",
        f"/api/studies/?status=%00&date_from=2026-01-01&reviewer={study.owner_id}", "/api/studies/?reviewer=%00",
        "/api/studies/?page=%00", "/api/review-queue/?page_size=%00", "/api/correction-queue/?page=1%00",
        f"/api/studies/{study.pk}/export/?format=%00", f"/api/videos/{done_video.pk}/masks/?start=%00&end=4",
        f"/api/videos/{done_video.pk}/frames/0/image.jpg?width=%00", "/api/auth/invite/?uid=%00&token=x",
        "/api/models/?x=%00", "/api/studies/?%00=1",  # a NUL in a name, or a parameter nobody reads
    ]
    for url in gets:
        response = admin_client.get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert response.json()["code"] == "invalid_query", url
    assert admin_client.get("/api/users/?role=admin").status_code == 200  # the filters themselves still work


def test_a_json_body_over_10_mb_is_a_json_413(admin_client):
    body = json.dumps({"patient_pseudo_id": "P-1", "date": "2026-12-01", "indication": "x" * (11 * 1024 * 1024)})
    response = admin_client.post("/api/studies/", body, content_type="application/json")
    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "request_too_large"


@pytest.fixture
def annotator_client(api_client, study):
    from webapp.studies.services import study_add_member

    user = make_user(Role.ANNOTATOR)
    study_add_member(study=study, user=user)
    api_client.force_authenticate(user)
    return api_client


def test_a_9_mb_rle_string_is_refused_at_once(annotator_client, done_video):
    huge = "1" * 9_000_000  # parses, count by count, for seconds before it fails to cover the frame
    started = time.monotonic()
    response = annotator_client.post(f"/api/videos/{done_video.pk}/frames/3/revisions/",
                                     {"based_on": None, "rle": huge}, format="json")
    elapsed = time.monotonic() - started
    print(f"\n9 MB RLE on a {done_video.height} x {done_video.width} frame: {response.status_code} in "
          f"{elapsed * 1000:.0f} ms (request included)")
    assert response.status_code == 400 and "a 48 x 64 mask takes at most" in response.json()["detail"]
    assert elapsed < 1.5  # the JSON parse and the length check; the RLE parse alone took 2.2-4.3 s
    assert not MaskRevision.objects.exists()


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (48, 64), (288, 384)])
def test_no_mask_encodes_longer_than_the_bound(shape):
    import numpy as np

    height, width = shape
    alternating = (np.arange(height * width) % 2 == 0).reshape((height, width), order="F")
    rng = np.random.default_rng(height * width)
    masks = [alternating, ~alternating, np.ones(shape, bool), np.zeros(shape, bool),
             *(rng.random(shape) < p for p in (0.1, 0.5, 0.9))]
    for mask in masks:
        text = rle.encode(mask)
        assert len(text) <= rle.max_text_length(height, width)
        assert (rle.decode(text, height, width) == mask).all()
    with pytest.raises(ValueError, match="takes at most"):
        rle.decode("0" * (rle.max_text_length(height, width) + 1), height, width)


def test_a_revision_on_a_frame_not_processed_yet_is_a_409_naming_the_frame_and_progress(
        annotator_client, tmp_path, study, owner):
    from tests.webapp.videos.factories import make_video

    video = make_video(tmp_path, study, owner, frames=8)  # queued: the worker has not started
    text, _ = square_rle(video.height, video.width)
    response = annotator_client.post(f"/api/videos/{video.pk}/frames/5/revisions/", {"based_on": None, "rle": text},
                                     format="json")
    assert response.status_code == 409
    assert response.json() == {"code": "frame_not_processed", "detail": "frame 5 is not processed yet: the video "
                               "is queued, 0 of 8 frames done; correct it once it is"}
    assert not MaskRevision.objects.exists()


def test_the_schema_needs_a_role_and_describes_the_queue_and_the_revision_conflict(api_client):
    roleless = make_user(Role.ANNOTATOR)
    roleless.role = ""  # the services always give a role; a user without one comes from the Django admin
    roleless.save(update_fields=["role"])
    api_client.force_authenticate(roleless)
    refused = api_client.get("/api/schema/?format=json")
    assert refused.status_code == 403 and "no role" in refused.json()["detail"]
    api_client.force_authenticate(make_user(Role.ANNOTATOR))
    schema = api_client.get("/api/schema/?format=json").json()
    queue = schema["paths"]["/api/correction-queue/"]["get"]["responses"]["200"]["content"]["application/json"]
    page = schema["components"]["schemas"][queue["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    assert {p["name"] for p in schema["paths"]["/api/correction-queue/"]["get"]["parameters"]} >= {"page",
                                                                                                   "page_size"}
    revisions = schema["paths"]["/api/videos/{video_id}/frames/{index}/revisions/"]["post"]["responses"]["409"]
    conflict = schema["components"]["schemas"][
        revisions["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(conflict["properties"]) == {"detail", "code", "current"}

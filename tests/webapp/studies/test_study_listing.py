import datetime as dt

import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.annotations.factories import make_event
from tests.webapp.studies.factories import kvasir_zip, make_study
from webapp.accounts.models import Role
from webapp.studies.importers import study_import_kvasir_zip
from webapp.studies.models import StudyStatus
from webapp.studies.services import study_add_member

pytestmark = pytest.mark.django_db


def test_the_study_list_counts_videos_images_events_and_pending_events(api_client, owner, study, done_video):
    done_video.events.all().delete()
    judged = make_event(done_video, 0, 1)
    make_event(done_video, 5, 6)
    make_event(done_video, 9, 10)
    api_client.force_authenticate(owner)
    api_client.post(f"/api/events/{judged.pk}/verdicts/", {"value": "confirmed"}, format="json")
    row = api_client.get("/api/studies/").json()["results"][0]
    assert (row["videos"], row["images"], row["events"], row["pending_events"]) == (1, 0, 3, 2)
    video_row = api_client.get(f"/api/studies/{study.pk}/videos/").json()["results"][0]
    assert (video_row["events"], video_row["pending_events"]) == (3, 2)


def test_the_study_list_filters_by_status_dates_and_reviewer(api_client, owner):
    older = make_study(owner)
    older.date = dt.date(2026, 1, 5)
    older.status = StudyStatus.CLOSED
    older.save(update_fields=["date", "status"])
    newer = make_study(owner)  # 2026-11-02, open
    reviewer = make_user(Role.GASTROENTEROLOGIST)
    study_add_member(study=newer, user=reviewer)
    api_client.force_authenticate(owner)

    def ids(query: str) -> list[int]:
        response = api_client.get(f"/api/studies/?{query}")
        assert response.status_code == 200, response.json()
        return [s["id"] for s in response.json()["results"]]

    assert ids("status=closed") == [older.pk]
    assert ids("date_from=2026-06-01") == [newer.pk]
    assert ids("date_to=2026-06-01") == [older.pk]
    assert ids(f"reviewer={reviewer.pk}") == [newer.pk]
    assert api_client.get("/api/studies/?date_from=yesterday").status_code == 400


def test_still_images_are_listed_with_their_ground_truth_flag_and_served(tmp_path, api_client, owner):
    kvasir_zip(tmp_path / "k.zip", n=2)
    study = study_import_kvasir_zip(owner=owner, archive=tmp_path / "k.zip", name="k.zip", patient_pseudo_id="K-9")
    api_client.force_authenticate(owner)
    images = api_client.get(f"/api/studies/{study.pk}/images/").json()["results"]
    assert [(i["has_ground_truth"], i["revisions"], i["width"], i["height"]) for i in images] == [(True, 0, 56, 40)] * 2
    response = api_client.get(f"/api/images/{images[0]['id']}/image.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    api_client.force_authenticate(make_user(Role.ANNOTATOR))  # not a member
    assert api_client.get(f"/api/images/{images[0]['id']}/image.png").status_code == 404


def test_the_users_list_filters_by_role(api_client, owner):
    make_user(Role.ANNOTATOR, username="ann")
    api_client.force_authenticate(owner)
    body = api_client.get("/api/users/?role=annotator").json()
    assert [u["username"] for u in body] == ["ann"] and set(body[0]) == {"id", "username", "role"}


def test_events_of_unfinished_videos_are_counted_but_not_pending(tmp_path, api_client, owner, study):
    from tests.webapp.videos.factories import make_video
    from webapp.videos.models import Video, VideoStatus

    cancelled = make_video(tmp_path, study, owner)
    Video.objects.filter(pk=cancelled.pk).update(status=VideoStatus.CANCELLED)
    make_event(cancelled, 0, 3)
    api_client.force_authenticate(owner)
    row = api_client.get("/api/studies/").json()["results"][0]
    assert (row["events"], row["pending_events"]) == (1, 0)  # as the review queue: nothing to judge
    detail = api_client.get(f"/api/videos/{cancelled.pk}/").json()
    assert (detail["events"], detail["pending_events"]) == (1, 0)


def test_still_image_thumbnails_are_jpeg_scaled_to_the_asked_width(tmp_path, api_client, owner):
    import cv2
    import numpy as np

    kvasir_zip(tmp_path / "k.zip", n=1)
    study = study_import_kvasir_zip(owner=owner, archive=tmp_path / "k.zip", name="k.zip", patient_pseudo_id="K-7")
    api_client.force_authenticate(owner)
    image = study.images.get()
    response = api_client.get(f"/api/images/{image.pk}/image.png?width=28")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR).shape == (20, 28, 3)
    assert api_client.get(f"/api/images/{image.pk}/image.png?width=0").status_code == 400


def test_a_clinician_moves_a_study_through_its_statuses_and_each_change_is_audited(api_client, owner, study):
    from webapp.audit.models import Action, AuditEntry

    api_client.force_authenticate(owner)
    response = api_client.patch(f"/api/studies/{study.pk}/", {"status": "in_review"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "in_review"
    assert api_client.patch(f"/api/studies/{study.pk}/", {"status": "archived"}, format="json").status_code == 400
    entry = AuditEntry.objects.get(action=Action.STUDY_STATUS, target_id=str(study.pk))
    assert entry.detail == {"from": "open", "to": "in_review"} and entry.actor == owner
    annotator = make_user(Role.ANNOTATOR)
    study_add_member(study=study, user=annotator)
    api_client.force_authenticate(annotator)
    assert api_client.patch(f"/api/studies/{study.pk}/", {"status": "closed"}, format="json").status_code == 403
    assert api_client.get(f"/api/studies/{study.pk}/").json()["status"] == "in_review"

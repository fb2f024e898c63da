import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.annotations.factories import make_event
from tests.webapp.videos.factories import make_video
from webapp.accounts.models import Role
from webapp.annotations.models import Verdict
from webapp.audit.models import Action, AuditEntry
from webapp.studies.services import study_add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(api_client, owner):
    api_client.force_authenticate(owner)
    return api_client


def test_a_verdict_becomes_the_events_current_one_and_the_old_one_is_kept(client_of, done_video, owner):
    event = make_event(done_video, 2, 5)
    first = client_of.post(f"/api/events/{event.pk}/verdicts/", {"value": "uncertain", "note": "blurry"}, format="json")
    second = client_of.post(f"/api/events/{event.pk}/verdicts/", {"value": "confirmed"}, format="json")
    assert first.status_code == 201 and second.status_code == 201
    listed = client_of.get(f"/api/videos/{done_video.pk}/events/").json()
    verdicts = {e["id"]: e["verdict"] for e in listed}
    assert verdicts[event.pk]["value"] == "confirmed" and verdicts[event.pk]["reviewer"] == owner.username
    history = client_of.get(f"/api/events/{event.pk}/verdicts/").json()
    assert [v["value"] for v in history] == ["confirmed", "uncertain"] and history[1]["note"] == "blurry"
    audited = AuditEntry.objects.filter(action=Action.VERDICT, target_id=str(event.pk))
    assert sorted(e.detail["value"] for e in audited) == ["confirmed", "uncertain"]


def test_an_unknown_verdict_value_is_a_400_naming_the_field(client_of, done_video):
    event = make_event(done_video, 2, 5)
    response = client_of.post(f"/api/events/{event.pk}/verdicts/", {"value": "maybe"}, format="json")
    assert response.status_code == 400 and "value" in response.json()
    assert not Verdict.objects.exists()


def test_events_of_a_video_still_processing_cannot_be_judged(tmp_path, client_of, study, owner):
    video = make_video(tmp_path, study, owner)  # queued, never processed here
    event = make_event(video, 1, 3)
    response = client_of.post(f"/api/events/{event.pk}/verdicts/", {"value": "confirmed"}, format="json")
    assert response.status_code == 409 and "processing is done" in response.json()["detail"]
    assert not Verdict.objects.exists()


def test_annotators_cannot_give_verdicts_and_strangers_see_no_event(api_client, done_video, study):
    event = make_event(done_video, 2, 5)
    annotator = make_user(Role.ANNOTATOR)
    study_add_member(study=study, user=annotator)
    api_client.force_authenticate(annotator)
    url = f"/api/events/{event.pk}/verdicts/"
    assert api_client.post(url, {"value": "confirmed"}, format="json").status_code == 403
    api_client.force_authenticate(make_user(Role.GASTROENTEROLOGIST))  # not a member of the study
    assert api_client.post(url, {"value": "confirmed"}, format="json").status_code == 404


def test_the_review_queue_lists_unjudged_events_of_finished_videos_only(tmp_path, client_of, done_video, study, owner):
    done_video.events.all().delete()  # the pipeline's own event on the synthetic polyp
    judged, waiting = make_event(done_video, 1, 2), make_event(done_video, 6, 8)
    make_event(make_video(tmp_path, study, owner), 0, 3)  # video still queued: not reviewable yet
    client_of.post(f"/api/events/{judged.pk}/verdicts/", {"value": "confirmed"}, format="json")
    body = client_of.get("/api/review-queue/").json()
    assert [e["id"] for e in body["results"]] == [waiting.pk]
    first = body["results"][0]
    assert first["study"] == study.pk and first["patient_pseudo_id"] == study.patient.pseudo_id

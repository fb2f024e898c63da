import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.annotations.factories import make_event, square_rle
from webapp.accounts.models import Role
from webapp.videos.models import FrameResult

pytestmark = pytest.mark.django_db


def test_rejected_events_come_first_then_uncertain_frames_and_corrected_frames_leave(api_client, done_video,
                                                                                      owner, annotator):
    done_video.events.all().delete()
    FrameResult.objects.filter(video=done_video).update(score=0.05)
    FrameResult.objects.filter(video=done_video, index__in=[9, 10]).update(score=0.5)  # uncertain, 1 frame apart
    rejected = make_event(done_video, 2, 4, peak=3)
    api_client.force_authenticate(owner)
    api_client.post(f"/api/events/{rejected.pk}/verdicts/", {"value": "false_positive"}, format="json")

    api_client.force_authenticate(annotator)
    items = api_client.get("/api/correction-queue/").json()["results"]
    # fps 10: uncertain frames at least 10 frames apart, so only one of 9 and 10 is asked for.
    assert [(i["reason"], i["frame"]) for i in items] == [("rejected_event", 3), ("low_confidence", 9)]
    assert items[0]["video"] == done_video.pk and items[0]["kind"] == "frame"

    text, _ = square_rle(48, 64)
    api_client.post(f"/api/videos/{done_video.pk}/frames/3/revisions/", {"based_on": None, "rle": text}, format="json")
    items = api_client.get("/api/correction-queue/").json()["results"]
    assert [(i["reason"], i["frame"]) for i in items] == [("low_confidence", 9)]


def test_the_correction_queue_shows_only_visible_studies(api_client, done_video):
    FrameResult.objects.filter(video=done_video).update(score=0.5)
    api_client.force_authenticate(make_user(Role.ANNOTATOR))  # not a member
    assert api_client.get("/api/correction-queue/").json()["results"] == []

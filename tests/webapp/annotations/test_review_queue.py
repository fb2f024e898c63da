"""The review queue is what the review page's "Next" follows to the next video with events awaiting a verdict."""

import pytest

from tests.webapp.studies.factories import make_study
from tests.webapp.videos.factories import make_video
from webapp.studies.services import study_set_status
from webapp.videos.models import PolypEvent
from webapp.videos.pipeline import video_process

pytestmark = pytest.mark.django_db


def processed_video(tmp_path, study, owner):
    video = make_video(tmp_path, study, owner, frames=12)
    video_process(video_id=video.pk)
    return video


def test_a_closed_studys_events_leave_the_queue_so_next_never_leads_into_a_locked_study(api_client, tmp_path, owner):
    signed_off = make_study(owner, "QUEUE-CLOSED")
    still_open = make_study(owner, "QUEUE-OPEN")
    closed_video = processed_video(tmp_path, signed_off, owner)
    open_video = processed_video(tmp_path, still_open, owner)
    for video in (closed_video, open_video):
        assert PolypEvent.objects.filter(video=video).exists()  # the pipeline's event on the synthetic polyp
    api_client.force_authenticate(owner)

    def listed() -> set[int]:
        return {e["video"] for e in api_client.get("/api/review-queue/").json()["results"]}

    assert listed() == {closed_video.pk, open_video.pk}
    study_set_status(study=signed_off, status="closed", user=owner)
    assert listed() == {open_video.pk}

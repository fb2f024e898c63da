"""The sign-off report (GET /api/studies/{id}/report/): the procedure, who closed it and when, every video with its
events and their current verdicts and peak-frame thumbnails, the reviewers and the model versions."""

from __future__ import annotations

import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.videos.factories import make_video
from webapp.accounts.models import Role
from webapp.annotations.models import VerdictValue
from webapp.annotations.services import verdict_give
from webapp.studies.services import study_add_member, study_set_members, study_set_status
from webapp.videos.models import PolypEvent
from webapp.videos.pipeline import video_process

pytestmark = pytest.mark.django_db


def test_the_report_of_a_closed_study_names_its_events_verdicts_reviewers_and_model(api_client, done_video, owner,
                                                                                    tmp_path):
    study = done_video.study
    second_reader = make_user(username="dr-second")
    admin = make_user(Role.ADMIN, username="root")
    study_set_members(study=study, member_ids=[second_reader.pk], user=admin)
    events = list(PolypEvent.objects.filter(video=done_video).order_by("start_index"))
    assert events, "the synthetic clip shows a polyp"
    verdict_give(event=events[0], reviewer=owner, value=VerdictValue.UNCERTAIN, note="")
    verdict_give(event=events[0], reviewer=second_reader, value=VerdictValue.CONFIRMED, note="sessile, 6 mm")
    pending_video = make_video(tmp_path, study, owner)  # queued: its events are not counted as pending
    study_set_status(study=study, status="closed", user=owner)

    api_client.force_authenticate(second_reader)
    response = api_client.get(f"/api/studies/{study.pk}/report/")
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["study"] == {"id": study.pk, "patient_pseudo_id": study.patient.pseudo_id, "date": "2026-11-02",
                               "indication": "screening", "status": "closed", "owner": owner.username}
    assert report["signed_off"]["by"] == owner.username and report["signed_off"]["at"]
    assert [m["username"] for m in report["members"]] == ["dr-second"]
    assert report["reviewers"] == ["dr-second"]  # who gave the current verdicts (the superseded one is counted)
    assert report["model_versions"] == [{"id": done_video.model_version_id, "version": done_video.model_version.version,
                                         "videos": 1, "images": 0}]
    assert [v["id"] for v in report["videos"]] == [done_video.pk, pending_video.pk]  # upload order
    first = report["videos"][0]
    assert first["original_name"] == "clip.mp4" and first["model_version"] == done_video.model_version.version
    rows = first["events"]
    assert [e["id"] for e in rows] == [e.pk for e in events]
    assert rows[0]["verdict"]["value"] == "confirmed" and rows[0]["verdict"]["note"] == "sessile, 6 mm"
    assert rows[0]["verdict"]["reviewer"] == "dr-second" and rows[0]["earlier_verdicts"] == 1
    assert rows[0]["thumbnail"] == f"/api/videos/{done_video.pk}/frames/{events[0].peak_index}/image.jpg?width=480"
    assert rows[0]["mask"] == f"/api/videos/{done_video.pk}/frames/{events[0].peak_index}/mask.png"
    assert api_client.get(rows[0]["mask"])["Content-Type"] == "image/png"
    thumb = api_client.get(rows[0]["thumbnail"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    summary = report["summary"]
    assert summary["videos"] == 2 and summary["events"] == len(events) and summary["confirmed"] == 1
    assert summary["pending"] == len(events) - 1 and summary["false_positive"] == summary["uncertain"] == 0


def test_an_open_studys_report_is_a_draft_and_outsiders_get_404(api_client, study, owner):
    api_client.force_authenticate(owner)
    report = api_client.get(f"/api/studies/{study.pk}/report/").json()
    assert report["signed_off"] is None and report["videos"] == [] and report["summary"]["events"] == 0
    api_client.force_authenticate(make_user(Role.ANNOTATOR))
    assert api_client.get(f"/api/studies/{study.pk}/report/").status_code == 404
    api_client.force_authenticate(make_user(Role.ADMIN))  # admins see every study
    assert api_client.get(f"/api/studies/{study.pk}/report/").status_code == 200
    annotator = make_user(Role.ANNOTATOR)
    study_add_member(study=study, user=annotator)  # any role that sees the study reads its report
    api_client.force_authenticate(annotator)
    assert api_client.get(f"/api/studies/{study.pk}/report/").status_code == 200
    api_client.force_authenticate(None)
    assert api_client.get(f"/api/studies/{study.pk}/report/").status_code == 401


def test_reopening_and_closing_again_names_the_last_sign_off(api_client, study, owner, tmp_path):
    admin = make_user(Role.ADMIN, username="root")
    video = make_video(tmp_path, study, owner)
    video_process(video_id=video.pk)
    study_set_status(study=study, status="closed", user=owner)
    study_set_status(study=study, status="open", user=admin)
    study_set_status(study=study, status="closed", user=admin)
    api_client.force_authenticate(owner)
    assert api_client.get(f"/api/studies/{study.pk}/report/").json()["signed_off"]["by"] == "root"

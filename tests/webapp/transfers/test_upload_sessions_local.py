"""Resumable uploads with media on local disk, through the API (the test client): the parts come through the app,
one file each, and complete makes the video a single POST makes; resume, refusals, cleanup and access."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from tests.webapp.transfers.factories import (
    VIDEO_FIELDS,
    files,
    part_bytes,
    put_part,
    send,
    start,
    upload_in_parts,
)
from tests.webapp.videos.factories import upload_file, video_bytes
from webapp.accounts.models import Role
from webapp.audit.models import Action, AuditEntry
from webapp.studies.models import StudyStatus
from webapp.transfers.models import UploadSession, UploadState
from webapp.videos.models import Video

pytestmark = pytest.mark.django_db

PART = 1024  # bytes: the 12-frame test video (3.6 KB) in four parts


@pytest.fixture(autouse=True)
def small_parts(settings):
    settings.UPLOAD_PART_BYTES = PART


@pytest.fixture
def uploads_dir(media_root) -> Path:
    return media_root / "tmp" / "uploads"


def _media_files(media_root: Path) -> set[Path]:
    return files(media_root)


def test_parts_on_local_disk_end_in_the_video_a_single_post_makes(
    tmp_path, api_client, owner, study, media_root, uploads_dir, django_capture_on_commit_callbacks
):
    data = video_bytes(tmp_path, frames=12)
    api_client.force_authenticate(owner)
    started = start(api_client, study.pk, data, "Colonoscopy 3.MP4")
    assert started.status_code == 201, started.content
    session = started.json()
    assert (session["backend"], session["state"], session["part_size"]) == ("local", "open", PART)
    assert session["part_count"] == -(-len(data) // PART) >= 3
    assert [u["number"] for u in session["part_urls"]] == list(range(1, session["part_count"] + 1))
    assert session["part_urls"][0]["url"] == f"/api/uploads/{session['id']}/parts/1/"
    assert session["part_urls"][-1]["size"] == len(data) - (session["part_count"] - 1) * PART

    send(api_client, session, data, reversed(range(1, session["part_count"] + 1)))  # any order
    with django_capture_on_commit_callbacks() as callbacks:
        completed = api_client.post(f"/api/uploads/{session['id']}/complete/")
    assert completed.status_code == 201, completed.content
    assert len(callbacks) == 1  # queued for processing once committed, as a single upload is
    parted = Video.objects.get(pk=completed.json()["id"])

    other_study = make_study(owner)
    single = api_client.post(f"/api/studies/{other_study.pk}/videos/",
                             {"file": upload_file(data, "Colonoscopy 3.MP4")}, format="multipart")
    assert single.status_code == 201, single.content
    posted = Video.objects.get(pk=single.json()["id"])
    assert {f: getattr(parted, f) for f in VIDEO_FIELDS} == {f: getattr(posted, f) for f in VIDEO_FIELDS}
    assert {k: v for k, v in completed.json().items() if k not in ("id", "study", "created_at", "patient_pseudo_id")} \
        == {k: v for k, v in single.json().items() if k not in ("id", "study", "created_at", "patient_pseudo_id")}
    assert parted.file.name.startswith("videos/") and parted.file.name.endswith(".mp4")
    assert (media_root / parted.file.name).read_bytes() == data

    done = api_client.get(f"/api/uploads/{session['id']}/").json()
    assert (done["state"], done["video"], done["missing"], done["part_urls"]) == ("completed", parted.pk, [], [])
    assert not uploads_dir.joinpath(str(session["id"])).exists()  # the parts went into the video
    assert files(media_root / "tmp") == set()
    audit = AuditEntry.objects.filter(target_type="transfers.uploadsession", target_id=str(session["id"]))
    assert sorted(audit.values_list("action", flat=True)) == [Action.UPLOAD_COMPLETE, Action.UPLOAD_START]
    assert AuditEntry.objects.get(action=Action.VIDEO_UPLOAD, target_id=str(parted.pk)).detail == {
        "checksum": parted.checksum, "upload_session": session["id"]}


def test_an_upload_resumes_after_only_some_parts_were_sent(tmp_path, api_client, owner, study):
    data = video_bytes(tmp_path, frames=12)
    api_client.force_authenticate(owner)
    session = start(api_client, study.pk, data).json()
    count = session["part_count"]
    assert count == 4
    send(api_client, session, data, [1, 3])  # then the connection dropped

    early = api_client.post(f"/api/uploads/{session['id']}/complete/")
    assert early.status_code == 409 and early.json()["code"] == "upload_incomplete"
    assert f"parts 2, 4 of {count} are missing" in early.json()["detail"]

    # A reload: the page knows only the session's id; the store says what it holds.
    api_client.logout()
    api_client.force_authenticate(owner)
    state = api_client.get(f"/api/uploads/{session['id']}/").json()
    assert state["state"] == "open"
    assert state["parts"] == [{"number": 1, "size": PART}, {"number": 3, "size": PART}]
    assert state["received_bytes"] == 2 * PART
    assert state["missing"] == [n for n in range(1, count + 1) if n not in (1, 3)]
    assert [u["number"] for u in state["part_urls"]] == state["missing"]
    assert [s["id"] for s in api_client.get(f"/api/studies/{study.pk}/uploads/").json()] == [session["id"]]

    send(api_client, session, data, state["missing"])
    assert put_part(api_client, session, data, 1).status_code == 200  # a part sent twice is simply replaced
    completed = api_client.post(f"/api/uploads/{session['id']}/complete/")
    assert completed.status_code == 201, completed.content
    assert Video.objects.get().checksum == completed.json()["checksum"]
    again = api_client.post(f"/api/uploads/{session['id']}/complete/")  # the first answer was lost: the same video
    assert (again.status_code, again.json()["id"]) == (200, completed.json()["id"])
    assert api_client.get(f"/api/studies/{study.pk}/uploads/").json() == []


def test_a_part_of_the_wrong_length_is_refused_and_not_kept(tmp_path, api_client, owner, study, uploads_dir):
    data = video_bytes(tmp_path, frames=12)
    api_client.force_authenticate(owner)
    session = start(api_client, study.pk, data).json()
    url = f"/api/uploads/{session['id']}/parts/1/"

    over = api_client.put(url, b"\0" * (PART + 1), content_type="application/octet-stream")
    assert over.status_code == 413 and over.json()["code"] == "upload_too_large"
    assert f"at most {PART} bytes" in over.json()["detail"]
    short = api_client.put(url, b"\0" * (PART - 1), content_type="application/octet-stream")
    assert short.status_code == 400 and f"exactly {PART} bytes" in short.json()["detail"]
    beyond = api_client.put(f"/api/uploads/{session['id']}/parts/{session['part_count'] + 1}/", b"\0",
                            content_type="application/octet-stream")
    assert beyond.status_code == 400 and f"parts 1 to {session['part_count']}" in beyond.json()["detail"]
    last = session["part_count"]
    wrong_last = api_client.put(f"/api/uploads/{session['id']}/parts/{last}/", part_bytes(data, session, 1),
                                content_type="application/octet-stream")
    assert wrong_last.status_code == 400  # the last part is shorter: it must be exactly its own length
    assert api_client.get(f"/api/uploads/{session['id']}/").json()["parts"] == []
    assert files(uploads_dir) == set()  # no part file, no half-written one


def test_starting_refuses_a_file_too_large_empty_or_not_named_as_a_video_before_anything_is_stored(
    api_client, owner, study, settings, media_root
):
    before = _media_files(media_root)
    api_client.force_authenticate(owner)
    url = f"/api/studies/{study.pk}/uploads/"
    too_large = api_client.post(url, {"filename": "clip.mp4", "size": settings.UPLOAD_MAX_BYTES + 1}, format="json")
    assert too_large.status_code == 413 and too_large.json()["code"] == "upload_too_large"
    assert str(settings.UPLOAD_MAX_BYTES) in too_large.json()["detail"]
    named = api_client.post(url, {"filename": "report.pdf", "size": 1000}, format="json")
    assert named.status_code == 400 and named.json()["code"] == "invalid_upload"
    assert "report.pdf" in named.json()["detail"] and ".mp4" in named.json()["detail"]
    empty = api_client.post(url, {"filename": "clip.mp4", "size": 0}, format="json")
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]
    assert api_client.post(url, {"filename": "clip.mp4"}, format="json").status_code == 400
    study.status = StudyStatus.CLOSED
    study.save(update_fields=["status"])
    closed = api_client.post(url, {"filename": "clip.mp4", "size": 1000}, format="json")
    assert closed.status_code == 409 and closed.json()["code"] == "study_closed"
    assert not UploadSession.objects.exists() and not AuditEntry.objects.filter(action=Action.UPLOAD_START).exists()
    assert _media_files(media_root) == before


def test_a_session_is_its_uploaders_a_non_member_gets_404_and_an_annotator_403(tmp_path, api_client, owner, study):
    data = video_bytes(tmp_path, frames=12)
    api_client.force_authenticate(owner)
    session = start(api_client, study.pk, data).json()
    base = f"/api/uploads/{session['id']}/"
    outsider = make_user(Role.GASTROENTEROLOGIST)
    colleague = make_user(Role.GASTROENTEROLOGIST)
    study.members.add(colleague)
    annotator = make_user(Role.ANNOTATOR)
    study.members.add(annotator)

    def answers(user) -> list[int]:
        api_client.force_authenticate(user)
        return [api_client.get(base).status_code,
                api_client.put(base + "parts/1/", part_bytes(data, session, 1),
                               content_type="application/octet-stream").status_code,
                api_client.post(base + "complete/").status_code,
                api_client.delete(base).status_code]

    assert answers(outsider) == [404] * 4
    assert answers(colleague) == [404] * 4  # a member sees the study, not someone else's upload
    assert answers(annotator) == [403] * 4
    api_client.force_authenticate(outsider)
    assert start(api_client, study.pk, data).status_code == 404
    api_client.force_authenticate(annotator)
    assert start(api_client, study.pk, data).status_code == 403
    api_client.force_authenticate(make_user(Role.ADMIN))
    assert api_client.get(base).json()["parts"] == []  # nobody's part got in; an admin sees any session
    api_client.logout()
    assert api_client.get(base).status_code == 401


def test_a_duplicate_video_is_409_and_leaves_nothing_behind(
    tmp_path, api_client, owner, study, media_root, uploads_dir
):
    data = video_bytes(tmp_path, frames=12)
    api_client.force_authenticate(owner)
    first = api_client.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(data)}, format="multipart")
    assert first.status_code == 201
    before = _media_files(media_root)

    session = start(api_client, study.pk, data, "again.mp4").json()
    send(api_client, session, data)
    duplicate = api_client.post(f"/api/uploads/{session['id']}/complete/")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "duplicate_video"
    assert f"video {first.json()['id']}" in duplicate.json()["detail"]
    assert Video.objects.count() == 1
    assert _media_files(media_root) == before and files(uploads_dir) == set()
    failed = api_client.get(f"/api/uploads/{session['id']}/").json()
    assert (failed["state"], failed["parts"], failed["part_urls"]) == ("failed", [], [])
    assert "already in the study" in failed["error"]
    resent = put_part(api_client, session, data, 1)
    assert resent.status_code == 409 and resent.json()["code"] == "upload_closed"


@pytest.mark.parametrize("payload", [b"plainly a text file, not a video\n" * 400, b"\0" * 9000])
def test_a_file_that_is_not_a_video_is_400_and_leaves_nothing_behind(
    api_client, owner, study, media_root, uploads_dir, payload
):
    before = _media_files(media_root)
    api_client.force_authenticate(owner)
    answer = upload_in_parts(api_client, study.pk, payload, "clip.mp4")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_upload", answer.content
    assert "not a video" in answer.json()["detail"] or "not an image or a video" in answer.json()["detail"]
    assert not Video.objects.exists()
    assert _media_files(media_root) == before and files(uploads_dir) == set()
    assert UploadSession.objects.get().state == UploadState.FAILED


def test_aborting_removes_the_parts_and_is_audited(tmp_path, api_client, owner, study, uploads_dir):
    data = video_bytes(tmp_path, frames=12)
    api_client.force_authenticate(owner)
    session = start(api_client, study.pk, data).json()
    send(api_client, session, data, [1, 2])
    assert len(files(uploads_dir)) == 2

    assert api_client.delete(f"/api/uploads/{session['id']}/").status_code == 204
    assert files(uploads_dir) == set()
    assert api_client.get(f"/api/uploads/{session['id']}/").json()["state"] == "aborted"
    assert api_client.delete(f"/api/uploads/{session['id']}/").status_code == 204  # nothing more to do
    late = api_client.put(f"/api/uploads/{session['id']}/parts/3/", part_bytes(data, session, 3),
                          content_type="application/octet-stream")
    assert late.status_code == 409 and late.json()["code"] == "upload_closed"
    assert api_client.post(f"/api/uploads/{session['id']}/complete/").status_code == 409
    entry = AuditEntry.objects.get(action=Action.UPLOAD_ABORT)
    assert (entry.actor, entry.target_id, entry.detail) == (owner, str(session["id"]), {"reason": "aborted"})
    assert files(uploads_dir) == set()


def test_a_closed_study_refuses_completion_and_keeps_the_parts_for_later(tmp_path, api_client, owner, study):
    data = video_bytes(tmp_path, frames=12)
    api_client.force_authenticate(owner)
    session = start(api_client, study.pk, data).json()
    send(api_client, session, data)
    study.status = StudyStatus.CLOSED
    study.save(update_fields=["status"])
    closed = api_client.post(f"/api/uploads/{session['id']}/complete/")
    assert closed.status_code == 409 and closed.json()["code"] == "study_closed"
    assert api_client.get(f"/api/uploads/{session['id']}/").json()["missing"] == []  # an admin may reopen it
    study.status = StudyStatus.OPEN
    study.save(update_fields=["status"])
    assert api_client.post(f"/api/uploads/{session['id']}/complete/").status_code == 201

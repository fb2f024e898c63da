"""The audit page's API: filters by person, action, object and date; pages; the CSV export with the same
filters (streamed, audited); odd input is a 400, never a 500."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from webapp.accounts.models import Role
from webapp.audit import selectors
from webapp.audit.models import Action, AuditEntry
from webapp.audit.selectors import AuditFilter, audit_entry_chunks

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return make_user(Role.ADMIN, username="auditor")


@pytest.fixture
def as_admin(api_client, admin):
    api_client.force_authenticate(admin)
    return api_client


@pytest.fixture
def log(as_admin):
    """Two people's studies (real write path) and a user created through the API."""
    gi = make_user(Role.GASTROENTEROLOGIST, username="dr-one")
    other = make_user(Role.GASTROENTEROLOGIST, username="dr-two")
    studies = [make_study(gi, "P-A"), make_study(gi, "P-B"), make_study(other, "P-C")]
    created = as_admin.post("/api/users/", {"username": "fresh", "password": "plum-lantern-orbit-58",
                                            "role": "annotator"}, format="json").json()
    return {"studies": studies, "created": created}


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_it_filters_by_person_action_and_object(as_admin, log):
    rows = _rows(as_admin.get("/api/audit/?actor=dr-one&action=study_create"))
    assert [r["target_id"] for r in rows] == [str(s.pk) for s in reversed(log["studies"][:2])]  # newest first
    rows = _rows(as_admin.get(f"/api/audit/?target_type=studies.study&target_id={log['studies'][2].pk}"))
    assert [(r["actor_username"], r["action"]) for r in rows] == [("dr-two", "study_create")]
    rows = _rows(as_admin.get("/api/audit/?action=user_create&actor=auditor"))
    assert [(r["target_type"], r["target_id"]) for r in rows] == [("accounts.user", str(log["created"]["id"]))]
    assert _rows(as_admin.get("/api/audit/?actor=nobody")) == []


def test_it_filters_by_date_with_both_days_included(as_admin, log):
    today = timezone.localdate()
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    everything = AuditEntry.objects.count()
    assert as_admin.get(f"/api/audit/?date_from={today}&date_to={today}").json()["count"] == everything
    assert as_admin.get(f"/api/audit/?date_to={yesterday}").json()["count"] == 0
    assert as_admin.get(f"/api/audit/?date_from={tomorrow}").json()["count"] == 0
    response = as_admin.get(f"/api/audit/?date_from={tomorrow}&date_to={today}")
    assert response.status_code == 400 and "date_to" in response.json()


def test_it_pages(as_admin, log):
    first = as_admin.get("/api/audit/?page_size=2").json()
    assert len(first["results"]) == 2 and first["count"] == AuditEntry.objects.count() and first["next"]
    second = as_admin.get("/api/audit/?page_size=2&page=2").json()
    assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])


@pytest.mark.parametrize("query", [
    "actor=%00", "target_type=a%00b", "target_id=%00", "action=%00", "action=not_an_action",
    "date_from=%00", "date_to=2026-13-45", "actor=" + "x" * 151,
])
def test_odd_filters_are_a_400_not_a_500(as_admin, query):
    assert as_admin.get(f"/api/audit/?{query}").status_code == 400
    assert as_admin.get(f"/api/audit/export/?{query}").status_code == 400


def test_a_nul_page_number_is_not_a_500(as_admin):
    # Refused by the one NUL guard in front of every view (webapp/guards.py), before pagination reads it.
    response = as_admin.get("/api/audit/?page=%00")
    assert response.status_code == 400 and response.json()["code"] == "invalid_query"


def _csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="polypscope-audit-')
    assert response.streaming
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_csv_export_has_the_same_filters_and_is_audited(as_admin, admin, log):
    rows = _csv(as_admin.get("/api/audit/export/?action=user_create&actor=auditor"))
    assert [(r["actor"], r["action"], r["action_label"], r["target_type"], r["target_id"]) for r in rows] == [
        ("auditor", "user_create", "User created", "accounts.user", str(log["created"]["id"]))]
    assert '"username": "fresh"' in rows[0]["detail"] and dt.datetime.fromisoformat(rows[0]["at"])
    everything = _csv(as_admin.get("/api/audit/export/"))
    assert len(everything) == AuditEntry.objects.count()  # the download names itself first
    assert everything[0]["action"] == "export" and everything[0]["actor"] == "auditor"
    exported = AuditEntry.objects.filter(action=Action.EXPORT, actor=admin).first()
    assert exported.detail == {"what": "audit_log", "filters": {}}
    filtered = {"action": "user_create", "actor": "auditor"}
    assert AuditEntry.objects.filter(action=Action.EXPORT, detail__filters=filtered).exists()


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(as_admin, api_client):
    name = "-2+3"  # a legal username that a spreadsheet would compute
    password = "plum-lantern-orbit-58"
    as_admin.post("/api/users/", {"username": name, "password": password, "role": "annotator"}, format="json")
    api_client.force_authenticate(None)
    login = api_client.post("/api/auth/token/", {"username": name, "password": password}, format="json")
    assert login.status_code == 200
    as_admin.force_authenticate(make_user(Role.ADMIN))
    rows = _csv(as_admin.get("/api/audit/export/?action=login&actor=-2%2B3"))
    assert [r["actor"] for r in rows] == ["'-2+3"]
    assert rows[0]["detail"] == '{"via": "token"}'


def test_the_export_walks_the_log_in_chunks_without_gaps(monkeypatch, log):
    everything = list(AuditEntry.objects.order_by("-at", "-id").values_list("id", flat=True))
    chunks = list(audit_entry_chunks(filters=AuditFilter(), size=2))
    assert [len(c) for c in chunks[:-1]] == [2] * (len(chunks) - 1)
    assert [e.pk for chunk in chunks for e in chunk] == everything
    monkeypatch.setattr(selectors, "EXPORT_CHUNK", 2)
    assert [e.pk for c in audit_entry_chunks(filters=AuditFilter(actor="dr-one"), size=1) for e in c] == list(
        AuditEntry.objects.filter(actor_username="dr-one").order_by("-at", "-id").values_list("id", flat=True))


def test_the_choices_name_every_action_and_the_logged_object_types(as_admin, log):
    body = as_admin.get("/api/audit/choices/").json()
    assert {"value": "user_create", "label": "User created"} in body["actions"]
    assert [a["value"] for a in body["actions"]] == Action.values
    assert body["target_types"] == ["accounts.user", "studies.study"]


@pytest.mark.parametrize("role", [Role.GASTROENTEROLOGIST, Role.ANNOTATOR, ""])
def test_only_admins_read_filter_or_export_the_log(api_client, role):
    user = make_user(Role.ANNOTATOR)
    user.role = role
    user.save(update_fields=["role"])
    api_client.force_authenticate(user)
    for path in ("/api/audit/", "/api/audit/export/", "/api/audit/choices/"):
        assert api_client.get(path).status_code == 403
    api_client.force_authenticate(None)
    for path in ("/api/audit/", "/api/audit/export/", "/api/audit/choices/"):
        assert api_client.get(path).status_code == 401

"""Writes on patients and studies."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from webapp.accounts.models import User
from webapp.audit.models import Action
from webapp.audit.services import audit_record
from webapp.errors import Conflict, Forbidden
from webapp.studies.models import Patient, Study, StudyStatus


class StudyClosed(Conflict):
    code = "study_closed"


def study_lock_open(*, study_id: int) -> Study:
    """Inside the caller's transaction: lock the study's row and refuse (409 study_closed) when it is closed.

    A closed study is signed off: no verdict, correction, upload or reprocessing changes it until an admin reopens
    it. The row lock orders these writes against a concurrent close.
    """
    study = Study.objects.select_for_update().get(pk=study_id)
    if study.status == StudyStatus.CLOSED:
        raise StudyClosed(f"study {study.pk} ({study.patient.pseudo_id}, {study.date}) is closed (signed off); "
                          "an admin can reopen it")
    return study


@transaction.atomic
def study_create(
    *, owner: User, patient_pseudo_id: str, date: dt.date, indication: str = "", audit_detail: dict | None = None
) -> Study:
    """audit_detail: extra facts for the audit entry (an import names its source and counts)."""
    patient, _ = Patient.objects.get_or_create(pseudo_id=patient_pseudo_id.strip())
    study = Study.objects.create(patient=patient, date=date, indication=indication, owner=owner)
    audit_record(actor=owner, action=Action.STUDY_CREATE, target=study, detail=audit_detail)
    return study


@transaction.atomic
def study_add_member(*, study: Study, user: User) -> None:
    study.members.add(user)


@transaction.atomic
def study_set_status(*, study: Study, status: str, user: User) -> Study:
    """Move a study to open, in review or closed (audited with the status it left). Closing signs it off
    (study_lock_open); only an admin reopens a closed study."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    if study.status == StudyStatus.CLOSED and status != StudyStatus.CLOSED and not user.is_admin:
        raise Forbidden("a closed study is signed off: only an admin can reopen it")
    if study.status != status:
        previous, study.status = study.status, status
        study.save(update_fields=["status"])
        audit_record(actor=user, action=Action.STUDY_STATUS, target=study, detail={"from": previous, "to": status})
    return study

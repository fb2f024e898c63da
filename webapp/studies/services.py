"""Writes on patients and studies."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from webapp.accounts.models import User
from webapp.audit.models import Action
from webapp.audit.services import audit_record
from webapp.studies.models import Patient, Study


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
    """Move a study to open, in review or closed (audited with the status it left)."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    if study.status != status:
        previous, study.status = study.status, status
        study.save(update_fields=["status"])
        audit_record(actor=user, action=Action.STUDY_STATUS, target=study, detail={"from": previous, "to": status})
    return study

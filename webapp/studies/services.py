"""Writes on patients and studies."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from webapp.accounts.models import Role, User
from webapp.audit.models import Action
from webapp.audit.services import audit_record
from webapp.errors import Conflict, DomainError, Forbidden
from webapp.studies.models import Patient, Study, StudyStatus

STUDY_MEMBERS = Action.STUDY_MEMBERS
IMAGE_UPLOAD = Action.IMAGE_UPLOAD

# The roles a study is assigned to: admins see every study already, so assigning one would change nothing.
MEMBER_ROLES = (Role.GASTROENTEROLOGIST, Role.ANNOTATOR)


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
    *, owner: User, patient_pseudo_id: str, date: dt.date, indication: str = "", audit_detail: dict | None = None,
    member_ids: list[int] | None = None,
) -> Study:
    """audit_detail: extra facts for the audit entry (an import names its source and counts). member_ids: the
    people assigned at once (admins only, as study_set_members), so the new study is visible to them."""
    patient, _ = Patient.objects.get_or_create(pseudo_id=patient_pseudo_id.strip())
    study = Study.objects.create(patient=patient, date=date, indication=indication, owner=owner)
    audit_record(actor=owner, action=Action.STUDY_CREATE, target=study, detail=audit_detail)
    if member_ids:
        study_set_members(study=study, member_ids=member_ids, user=owner)
    return study


@transaction.atomic
def study_add_member(*, study: Study, user: User) -> None:
    study.members.add(user)


def _assignable(member_ids: list[int]) -> list[User]:
    """The users to assign, or DomainError (400) naming the ids that are not active gastroenterologists or
    annotators."""
    wanted = set(member_ids)
    users = list(User.objects.filter(pk__in=wanted, is_active=True, is_superuser=False, role__in=MEMBER_ROLES))
    missing = sorted(wanted - {u.pk for u in users})
    if missing:
        raise DomainError(f"user(s) {', '.join(map(str, missing))}: not an active gastroenterologist or annotator; "
                          "only they are assigned to studies (admins see every study)")
    return sorted(users, key=lambda u: u.username)


@transaction.atomic
def study_set_members(*, study: Study, member_ids: list[int], user: User) -> Study:
    """Make exactly these people the study's members (admins only): they see the study, its videos and images.

    A closed study's members may change too (who may read a signed-off study is not its content). Audited with
    who was added and removed, by username; nothing is written when nothing changes.
    """
    if not user.is_admin:
        raise Forbidden("only an admin assigns people to a study")
    study = Study.objects.select_for_update().get(pk=study.pk)
    users = _assignable(member_ids)
    before = {u.pk: u.username for u in study.members.all()}
    after = {u.pk: u.username for u in users}
    if before.keys() == after.keys():
        return study
    study.members.set(users)
    audit_record(actor=user, action=STUDY_MEMBERS, target=study, detail={
        "added": sorted(after[pk] for pk in after.keys() - before.keys()),
        "removed": sorted(before[pk] for pk in before.keys() - after.keys()),
        "members": sorted(after.values()),
    })
    return study


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

"""Reads on resumable uploads. A session is its uploader's: visible to them (while they see its study) and to
admins; to anyone else it does not exist (404)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from webapp.accounts.models import User
from webapp.studies.models import Study
from webapp.studies.selectors import study_list_visible
from webapp.transfers.models import UploadSession, UploadState
from webapp.transfers.plan import PartPlan
from webapp.transfers.stores import PartUrl, store_for


def upload_session_get_visible(*, user: User, upload_id: int) -> UploadSession:
    sessions = UploadSession.objects.select_related("study", "video").filter(
        pk=upload_id, study__in=study_list_visible(user=user).values("id"))
    if not user.is_admin:
        sessions = sessions.filter(user=user)
    session = sessions.first()
    if session is None:
        raise Http404("no such upload")
    return session


def upload_sessions_open(*, user: User, study: Study) -> QuerySet[UploadSession]:
    """The user's sessions of the study that still take parts, newest first (a client that lost its own record
    finds its upload here, by file name and size)."""
    return UploadSession.objects.filter(study=study, user=user, state=UploadState.OPEN).select_related("video")


@dataclass(frozen=True)
class UploadProgress:
    """A session with what its store holds: the parts at their exact length, what is missing, and where to send it."""

    session: UploadSession
    plan: PartPlan
    held: dict[int, int]  # part number -> bytes, the parts of the right length only
    missing: list[int]
    part_urls: list[PartUrl]  # of the missing parts, while the session is open

    @property
    def received_bytes(self) -> int:
        return sum(self.held.values())


def upload_progress(*, session: UploadSession) -> UploadProgress:
    """Asks the store (S3 list_parts, the part files) while the session is open; an ended session holds nothing."""
    plan = PartPlan(size=session.size, part_size=session.part_size)
    if session.state != UploadState.OPEN:
        done = session.state in (UploadState.COMPLETED, UploadState.ASSEMBLING)  # every part was there
        held = {n: plan.part_bytes(n) for n in range(1, plan.count + 1)} if done else {}
        return UploadProgress(session, plan, held, [] if done else plan.missing({}), [])
    store = store_for(session)
    stored = store.held(session)
    missing = plan.missing(stored)
    held = {n: size for n, size in stored.items() if 1 <= n <= plan.count and n not in missing}
    return UploadProgress(session, plan, held, missing, store.part_urls(session, plan, missing))

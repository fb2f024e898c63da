"""Writes on resumable uploads: start a session, receive a part (local disk), complete it into a Video, abort it,
expire the forgotten ones. One transaction each; the checks of a finished file are the video upload's own
(webapp.videos.services.video_create_from_file), so a video that came in parts is the video a single POST makes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from webapp import media
from webapp.accounts.models import User
from webapp.audit.models import Action
from webapp.audit.services import audit_record
from webapp.errors import Conflict, DomainError, InvalidUpload, UploadTooLarge
from webapp.studies.models import Study
from webapp.studies.services import study_lock_open
from webapp.transfers.models import Backend, UploadSession, UploadState
from webapp.transfers.plan import S3_MIN_PART_BYTES, PartPlan, part_size_for
from webapp.transfers.stores import LocalParts, S3Parts, backend_now, scratch_file, store_for
from webapp.videos.models import Video
from webapp.videos.services import KNOWN_VIDEO_EXTS, clean_filename, video_create_from_file, video_storage_name

log = logging.getLogger(__name__)

# What a video file may be called. The content decides in the end (complete probes it); the name refuses a wrong
# file before gigabytes are sent. The containers the single upload keeps the extension of, plus MPEG transport
# streams and a few more that OpenCV's FFmpeg decodes (endoscopy recorders often write .ts).
ACCEPTED_EXTS = frozenset(KNOWN_VIDEO_EXTS | {".ts", ".mts", ".m2ts", ".3gp", ".ogv", ".flv"})
# A session being assembled may stay so this long (a 2 GiB video is copied, hashed and decoded whole: minutes);
# past it, the sweeper takes it for a crashed web process and removes what is left.
ASSEMBLY_GRACE = dt.timedelta(hours=1)


class UploadClosed(Conflict):
    code = "upload_closed"


class UploadIncomplete(Conflict):
    code = "upload_incomplete"


def plan_of(session: UploadSession) -> PartPlan:
    return PartPlan(size=session.size, part_size=session.part_size)


def _check_file(filename: str, size: int) -> str:
    """The checks a file passes before any byte of it is stored; returns its clean name."""
    name = clean_filename(filename)
    if size > settings.UPLOAD_MAX_BYTES:
        raise UploadTooLarge(f"the file is {size} bytes; the limit is {settings.UPLOAD_MAX_BYTES} bytes")
    if size <= 0:
        raise InvalidUpload("the file is empty")
    ext = Path(name).suffix.lower()
    if ext not in ACCEPTED_EXTS:
        raise InvalidUpload(f"{name} is not named as a video ({ext or 'no extension'}); video files end in "
                            f"{', '.join(sorted(ACCEPTED_EXTS))}")
    return name


def upload_session_create(*, study: Study, user: User, filename: str, size: int) -> UploadSession:
    """Start a resumable upload of a `size`-byte file to `study` (413 over UPLOAD_MAX_BYTES, 400 for a name that is
    not a video's, 409 study_closed: all before anything is stored). S3: the multipart upload is started in the
    bucket, under the video's final name. Audited as upload_start."""
    name = _check_file(filename, size)
    with transaction.atomic():
        study_lock_open(study_id=study.pk)
    backend = backend_now()
    minimum = S3_MIN_PART_BYTES if backend == Backend.S3 else 1
    session = UploadSession(study=study, user=user, filename=name, size=size, backend=backend,
                            part_size=part_size_for(size, preferred=settings.UPLOAD_PART_BYTES, minimum=minimum),
                            expires_at=timezone.now() + dt.timedelta(hours=settings.UPLOAD_SESSION_TTL_H))
    if backend == Backend.S3:
        session.stored_name = video_storage_name(name)
        session.s3_upload_id = S3Parts().begin(session.stored_name)
    try:
        with transaction.atomic():
            study_lock_open(study_id=study.pk)
            session.save()
            audit_record(actor=user, action=Action.UPLOAD_START, target=session,
                         detail={"study": study.pk, "filename": name, "size": size, "parts": plan_of(session).count,
                                 "backend": backend})
    except BaseException:
        if session.s3_upload_id:
            S3Parts().discard(session)
        raise
    return session


def _require_open(session: UploadSession) -> None:
    if session.state == UploadState.OPEN:
        return
    if session.state == UploadState.ASSEMBLING:
        raise UploadClosed(f"upload {session.pk} is being assembled and checked; wait for that answer")
    if session.state == UploadState.COMPLETED:
        raise UploadClosed(f"upload {session.pk} is completed: it is video {session.video_id}")
    raise UploadClosed(f"upload {session.pk} is {session.state}; start the upload again")


def upload_part_receive(*, session: UploadSession, number: int, length: int | None,
                        read: Callable[[int], bytes]) -> int:
    """Store part `number` of a local-disk session from the request body (read(n) -> up to n bytes). It must be
    exactly the part's length (plan.part_bytes): 413 over the part size, 400 for any other length, before a byte
    is read when the request states its length. Sending a part again replaces it. Returns its length."""
    if session.backend != Backend.LOCAL:
        raise UploadClosed(f"the parts of upload {session.pk} go straight to the bucket: PUT each to its part URL")
    _require_open(session)
    plan = plan_of(session)
    if not 1 <= number <= plan.count:
        raise InvalidUpload(f"part {number}: upload {session.pk} has parts 1 to {plan.count}")
    expected = plan.part_bytes(number)
    if length is not None and length > session.part_size:
        raise UploadTooLarge(f"part {number} is {length} bytes; the parts of upload {session.pk} are at most "
                             f"{session.part_size} bytes")
    if length is not None and length != expected:
        raise InvalidUpload(f"part {number} must be exactly {expected} bytes; the request says {length}")
    store = LocalParts()
    store.write(session, number, expected, read)
    if UploadSession.objects.filter(pk=session.pk).values_list("state", flat=True).first() != UploadState.OPEN:
        store.discard(session)  # aborted or expired while the part came in: what it wrote goes too
        raise UploadClosed(f"upload {session.pk} was closed while part {number} was sent")
    return expected


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    out, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(f"{start}-{n}" if n != start else f"{n}")
            start = None
    return ", ".join(out)


def upload_session_complete(*, session: UploadSession, user: User) -> tuple[Video, bool]:
    """Assemble the parts and make the video: the single upload's checks (it decodes to its end, 400; not in the study
    already, 409 duplicate_video), then the Video, queued after commit; audited as upload_complete (and the video as
    video_upload). Returns (video, True); a session completed before answers its video again, (video, False).

    409 upload_incomplete naming the missing parts, and 409 study_closed, leave the session open to try again. Any
    other failure removes every part and whatever was assembled, and fails the session with the reason.
    """
    with transaction.atomic():
        study_lock_open(study_id=session.study_id)  # study first, then the session (the order every write keeps)
        session = UploadSession.objects.select_for_update(of=("self",)).select_related("study", "video").get(
            pk=session.pk)
        if session.state == UploadState.COMPLETED and session.video is not None:
            return session.video, False  # the answer to the first complete was lost: the same video
        _require_open(session)
        plan = plan_of(session)
        missing = plan.missing(store_for(session).held(session))
        if missing:
            raise UploadIncomplete(f"upload {session.pk}: parts {_ranges(missing)} of {plan.count} are missing; send "
                                   "them, then complete")
        session.state = UploadState.ASSEMBLING
        session.expires_at = timezone.now() + ASSEMBLY_GRACE
        session.save(update_fields=["state", "expires_at"])
    store = store_for(session)
    video: Video | None = None
    try:
        with scratch_file(".part") as path:
            checksum = store.assemble(session, plan, path)
            if path.stat().st_size != session.size:
                raise InvalidUpload(f"the assembled file is {path.stat().st_size} bytes, not the {session.size} "
                                    "bytes this upload was started with")
            with transaction.atomic():
                video = video_create_from_file(study=session.study, user=user, path=path,
                                               original_name=session.filename, checksum=checksum,
                                               stored_name=session.stored_name or None,
                                               audit_detail={"upload_session": session.pk})
                ended = UploadSession.objects.filter(pk=session.pk, state=UploadState.ASSEMBLING).update(
                    state=UploadState.COMPLETED, video=video, ended_at=timezone.now())
                if not ended:  # the sweeper took it for abandoned (ASSEMBLY_GRACE passed)
                    raise UploadClosed(f"upload {session.pk} expired while it was being assembled")
                audit_record(actor=user, action=Action.UPLOAD_COMPLETE, target=session,
                             detail={"video": video.pk, "checksum": checksum, "size": session.size})
    except BaseException as exc:
        if video is not None and UploadSession.objects.filter(pk=session.pk, state=UploadState.COMPLETED).exists():
            # Committed; what failed came after the commit (queueing the video: the reconciler queues it again).
            log.exception("upload %s: video %s stored, then: %s", session.pk, video.pk, exc)
            return video, True
        if video is not None:  # created, then its transaction failed: its file is in no row
            media.discard(video.file.name)
        _fail(session, store, exc)
        raise
    session.refresh_from_db()
    return video, True


def _fail(session: UploadSession, store, exc: BaseException) -> None:
    """Remove every part and anything assembled; the session fails with the reason (shown to the client)."""
    try:
        store.discard(session)
    except Exception:  # noqa: BLE001 - the first error is the one to report; the sweeper does not retry this one
        log.exception("upload %s: could not remove its parts", session.pk)
    message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
    UploadSession.objects.filter(pk=session.pk, state=UploadState.ASSEMBLING).update(
        state=UploadState.FAILED, error=message[:2000], ended_at=timezone.now())


def upload_session_abort(*, session: UploadSession, user: User) -> UploadSession:
    """Abort an open session: S3 abort_multipart_upload, or the part files removed. Audited as upload_abort. A session
    that ended already (aborted, expired, failed) has nothing left: the same answer, nothing written. 409 while it is
    being assembled or once it is a video."""
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().get(pk=session.pk)
        if session.state in (UploadState.ABORTED, UploadState.EXPIRED, UploadState.FAILED):
            return session
        _require_open(session)
        store_for(session).discard(session)  # inside: if the store fails, the session stays open (try again)
        session.state, session.ended_at = UploadState.ABORTED, timezone.now()
        session.save(update_fields=["state", "ended_at"])
        audit_record(actor=user, action=Action.UPLOAD_ABORT, target=session, detail={"reason": "aborted"})
    return session


def upload_sessions_expire(*, now: dt.datetime | None = None) -> list[int]:
    """The sweeper (Celery beat, transfers.expire_uploads): sessions open past expires_at (UPLOAD_SESSION_TTL_H after
    they started), and sessions stuck assembling past ASSEMBLY_GRACE (a web process died), lose their parts and
    become expired. Audited as upload_abort with reason "expired" (no actor). Returns their ids."""
    now = now or timezone.now()
    expired = []
    candidates = UploadSession.objects.filter(state__in=(UploadState.OPEN, UploadState.ASSEMBLING),
                                              expires_at__lt=now).values_list("pk", flat=True)
    for pk in list(candidates):
        try:
            with transaction.atomic():
                session = (UploadSession.objects.select_for_update(skip_locked=True)
                           .filter(pk=pk, state__in=(UploadState.OPEN, UploadState.ASSEMBLING), expires_at__lt=now)
                           .first())
                if session is None:  # completed or aborted meanwhile, or another sweeper has it
                    continue
                store_for(session).discard(session)
                was = session.state
                session.state, session.ended_at = UploadState.EXPIRED, now
                session.save(update_fields=["state", "ended_at"])
                audit_record(actor=None, action=Action.UPLOAD_ABORT, target=session,
                             detail={"reason": "expired", "state": was, "expired_at": session.expires_at.isoformat()})
            expired.append(pk)
        except Exception:  # noqa: BLE001 - one session's store error must not keep the others
            log.exception("upload %s: could not expire it; the next sweep tries again", pk)
    if expired:
        log.info("expired upload sessions %s", expired)
    return expired

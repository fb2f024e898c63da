"""Reads on studies. Visibility: admins see every study; others the studies they own or are members of."""

from __future__ import annotations

import datetime as dt

import cv2
import numpy as np
from django.core.files.storage import default_storage
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from webapp.accounts.models import User
from webapp.annotations.models import MaskRevision, Verdict
from webapp.previews import preview_jpeg
from webapp.studies.models import Mask, MaskSource, StillImage, Study
from webapp.videos.models import PolypEvent, Video, VideoStatus


def study_list_visible(*, user: User) -> QuerySet[Study]:
    """Admins: every study. Others: the studies they own or are assigned to (members)."""
    studies = Study.objects.select_related("patient", "owner").prefetch_related(
        Prefetch("members", queryset=User.objects.order_by("username")))
    if user.is_admin:
        return studies
    visible_ids = Study.objects.filter(Q(owner=user) | Q(members=user)).values("id")
    return studies.filter(id__in=visible_ids)


def study_get_visible(*, user: User, study_id: int) -> Study:
    """The study, or 404 when it does not exist or the user may not see it (no difference shown)."""
    study = study_list_visible(user=user).filter(pk=study_id).first()
    if study is None:
        raise Http404("no such study")
    return study


def study_ground_truth_counts(*, study: Study) -> tuple[int, int]:
    """(images, images with imported ground truth): what an import brought. The current labels of a study,
    people's revisions included, are webapp.annotations.labels' to count."""
    images = StillImage.objects.filter(study=study)
    with_truth = images.filter(Exists(Mask.objects.filter(image=OuterRef("pk"), source=MaskSource.GROUND_TRUTH)))
    return images.count(), with_truth.count()


def _count(queryset: QuerySet, by: str) -> Coalesce:
    """A correlated COUNT as a subquery (joins would multiply the counts of one another)."""
    return Coalesce(Subquery(queryset.order_by().values(by).annotate(n=Count("pk")).values("n")[:1]), 0)


def study_list_filtered(
    *, user: User, status: str | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None,
    reviewer: int | None = None,
) -> QuerySet[Study]:
    """Visible studies, filtered, with counts of videos, images, events and pending events (no verdict)."""
    studies = study_list_visible(user=user)
    if status:
        studies = studies.filter(status=status)
    if date_from:
        studies = studies.filter(date__gte=date_from)
    if date_to:
        studies = studies.filter(date__lte=date_to)
    if reviewer:
        studies = studies.filter(id__in=Study.objects.filter(Q(owner=reviewer) | Q(members=reviewer)).values("id"))
    events = PolypEvent.objects.filter(video__study=OuterRef("pk"))
    # Pending: awaiting a verdict, as the review queue counts them (events of finished videos only: a
    # processing video's events may still change, a cancelled one's are never judged).
    judged = Verdict.objects.filter(event=OuterRef("pk"))
    pending = events.filter(video__status=VideoStatus.DONE).exclude(Exists(judged))
    return studies.annotate(
        videos_count=_count(Video.objects.filter(study=OuterRef("pk")), "study"),
        images_count=_count(StillImage.objects.filter(study=OuterRef("pk")), "study"),
        events_count=_count(events, "video__study"),
        pending_events=_count(pending, "video__study"),
    )


def study_images(*, study: Study) -> QuerySet[StillImage]:
    """The study's still images with `has_ground_truth` and `revisions_count`."""
    return (
        StillImage.objects.filter(study=study)
        .annotate(
            has_ground_truth=Exists(Mask.objects.filter(image=OuterRef("pk"), source=MaskSource.GROUND_TRUTH)),
            revisions_count=_count(MaskRevision.objects.filter(image=OuterRef("pk")), "image"),
        )
        .order_by("id")
    )


def image_get_visible(*, user: User, image_id: int) -> StillImage:
    image = StillImage.objects.filter(pk=image_id, study__in=study_list_visible(user=user).values("id")).first()
    if image is None:
        raise Http404("no such image")
    return image


def still_image_jpeg(*, image: StillImage, width: int) -> bytes:
    """The still image as a JPEG preview `width` pixels wide (never scaled up)."""
    with default_storage.open(image.file.name, "rb") as fh:
        decoded = cv2.imdecode(np.frombuffer(fh.read(), np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise Http404("the image could not be decoded")
    return preview_jpeg(decoded, width)

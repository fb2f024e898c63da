"""Reads on studies. Visibility: admins see every study; others the studies they own or are members of."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from webapp.accounts.models import User
from webapp.studies.models import Mask, MaskSource, StillImage, Study


def study_list_visible(*, user: User) -> QuerySet[Study]:
    studies = Study.objects.select_related("patient", "owner")
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


def study_masks_for_export(*, study: Study) -> list[tuple[StillImage, Mask | None]]:
    """Every image of the study with its newest ground-truth or person mask (None when it has neither).

    Model masks are predictions, not labels, so they are never exported. Newest by creation time, then id.
    """
    images = list(StillImage.objects.filter(study=study).order_by("id"))
    newest: dict[int, Mask] = {}
    masks = Mask.objects.filter(image__study=study, source__in=[MaskSource.GROUND_TRUTH, MaskSource.PERSON])
    for mask in masks.order_by("image_id", "-created_at", "-id"):
        newest.setdefault(mask.image_id, mask)
    return [(image, newest.get(image.pk)) for image in images]


def study_label_counts(*, study: Study) -> tuple[int, int]:
    """(images, images with a ground-truth or person mask)."""
    images = StillImage.objects.filter(study=study)
    labelled = images.filter(masks__source__in=[MaskSource.GROUND_TRUTH, MaskSource.PERSON]).distinct()
    return images.count(), labelled.count()

"""Reads on studies. Visibility: admins see every study; others the studies they own or are members of."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from webapp.accounts.models import User
from webapp.studies.models import Study


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

from __future__ import annotations

import datetime as dt
import itertools

from webapp.accounts.models import User
from webapp.studies.models import Study
from webapp.studies.services import study_create

_seq = itertools.count()


def make_study(owner: User, pseudo_id: str | None = None) -> Study:
    return study_create(owner=owner, patient_pseudo_id=pseudo_id or f"P-{next(_seq):04d}", date=dt.date(2026, 11, 2),
                        indication="screening")

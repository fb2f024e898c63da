"""Fixtures shared by the videos tests: a study owner and one study of theirs.

The factories import Django models, so they are imported inside the fixtures: this conftest is
loaded before Django's app registry is ready.
"""

import pytest


@pytest.fixture
def owner():
    from tests.webapp.accounts.factories import make_user

    return make_user()


@pytest.fixture
def study(owner):
    from tests.webapp.studies.factories import make_study

    return make_study(owner)

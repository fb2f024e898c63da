import pytest


@pytest.fixture
def annotator(study):
    """An annotator who is a member of `study`."""
    from tests.webapp.accounts.factories import make_user
    from webapp.accounts.models import Role
    from webapp.studies.services import study_add_member

    user = make_user(Role.ANNOTATOR)
    study_add_member(study=study, user=user)
    return user

"""Two admins demoting each other at the same moment: the admin rows are locked first, so one change waits
for the other and then sees that it would remove the last admin. Real PostgreSQL, two connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from tests.webapp.accounts.factories import make_user
from webapp.accounts.models import Role, User
from webapp.accounts.services import LastAdmin, user_update

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    first, second = make_user(Role.ADMIN, username="adm-1"), make_user(Role.ADMIN, username="adm-2")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def demote(actor: User, target: User) -> None:
        try:
            barrier.wait(timeout=10)
            user_update(actor=actor, user_id=target.pk, role=Role.ANNOTATOR)
            outcomes[actor.username] = "done"
        except LastAdmin:
            outcomes[actor.username] = "refused"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=demote, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["done", "refused"]
    assert User.objects.filter(role=Role.ADMIN, is_active=True).count() == 1

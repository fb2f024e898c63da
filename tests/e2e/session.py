"""Logging in through the review UI's login page, for the browser tests."""

from __future__ import annotations

from tests.webapp.accounts.factories import PASSWORD


def log_in_new_page(opener, base: str, username: str, timeout_ms: int, **page_options):
    """A new page of `opener` (a browser: a context of its own, so a session of its own; or a context) logged in as
    `username` (the factories' PASSWORD); returns it once the navigation shows."""
    page = opener.new_page(**page_options)
    page.set_default_timeout(timeout_ms)
    page.goto(base + "/app/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("nav-review").wait_for()
    return page

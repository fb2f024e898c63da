"""Onboarding in a real browser: an admin creates an annotator on the Users page (the role is required) and
that person logs in at once in a fresh browser; a user without a role sees whom to ask, and gets in once an
admin gives them a role; deactivation; a user created without a password sets it through a one-time link;
the audit page filters the log and its CSV download holds the creations. Real PostgreSQL, uvicorn (ASGI: the
CSV streams) and Chromium."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from tests.webapp.accounts.factories import PASSWORD, make_user
from webapp.accounts.models import Role, User
from webapp.audit.models import Action, AuditEntry

UI_TIMEOUT_MS = 20_000
NEW_PASSWORD = "quince-harbour-lamp-31"

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, base: str, username: str, password: str, landmark: str) -> None:
    page.goto(base + "/app/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id(landmark).wait_for()


def fresh_page(browser):
    """A new browser context: no cookie of anyone else's session."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    return context, page


def test_an_admin_onboards_an_annotator_and_reads_the_audit_log(live_app, browser, screenshot):
    make_user(Role.ADMIN, username="site-admin")
    waiting = make_user(Role.ANNOTATOR, username="new-doctor")
    waiting.role = ""
    waiting.save(update_fields=["role"])

    admin = browser.new_page(viewport={"width": 1440, "height": 900})
    admin.set_default_timeout(UI_TIMEOUT_MS)
    log_in(admin, live_app, "site-admin", PASSWORD, "nav-users")

    # Users page: the role is required, then the annotator is created.
    admin.get_by_test_id("nav-users").click()
    admin.get_by_test_id("users-page").wait_for()
    admin.get_by_test_id("new-user-toggle").click()
    admin.get_by_test_id("new-user-username").fill("ann-onboarded")
    admin.get_by_test_id("new-user-password").fill(NEW_PASSWORD)
    admin.get_by_test_id("new-user-submit").click()
    assert "role" in admin.get_by_test_id("new-user-error").inner_text()
    admin.get_by_test_id("new-user-role").select_option("annotator")
    screenshot(admin, "onboarding-01-new-user-form")
    admin.get_by_test_id("new-user-submit").click()
    admin.get_by_test_id("new-user-created").wait_for()
    row = admin.locator("[data-testid=user-row][data-username=ann-onboarded]")
    assert row.get_by_test_id("user-role").input_value() == "annotator"
    assert User.objects.get(username="ann-onboarded").role == Role.ANNOTATOR
    screenshot(admin, "onboarding-02-users")

    # The new annotator logs in at once, in a browser of their own.
    context, annotator = fresh_page(browser)
    log_in(annotator, live_app, "ann-onboarded", NEW_PASSWORD, "nav-corrections")
    assert "ann-onboarded" in annotator.get_by_test_id("current-user").inner_text()
    assert annotator.get_by_test_id("nav-users").count() == 0
    context.close()

    # A user without a role is told whom to ask, instead of "permission denied" everywhere.
    context, newcomer = fresh_page(browser)
    log_in(newcomer, live_app, "new-doctor", PASSWORD, "no-role-page")
    assert "site-admin" in newcomer.get_by_test_id("no-role-admins").inner_text()
    assert newcomer.get_by_test_id("nav-studies").count() == 0
    screenshot(newcomer, "onboarding-03-no-role")

    # The admin gives them a role; "Check again" lets them in.
    admin.reload()
    admin.locator("[data-testid=user-row][data-username=new-doctor]").get_by_test_id("user-role").select_option(
        "gastroenterologist")
    admin.locator("[data-testid=user-row][data-username=new-doctor]").get_by_test_id("user-row-message").wait_for()
    newcomer.get_by_test_id("no-role-retry").click()
    newcomer.get_by_test_id("nav-studies").wait_for()
    context.close()

    # Deactivation asks first, and the person can no longer log in; the last admin cannot be deactivated.
    me = admin.locator("[data-testid=user-row][data-username=site-admin]")
    assert me.get_by_test_id("user-deactivate").is_disabled() and me.get_by_test_id("user-role").is_disabled()
    leaver = admin.locator("[data-testid=user-row][data-username=ann-onboarded]")
    leaver.get_by_test_id("user-deactivate").click()
    screenshot(admin, "onboarding-04-deactivate-confirm")
    leaver.get_by_test_id("user-deactivate-confirm").click()
    admin.locator("[data-testid=user-row][data-username=ann-onboarded][data-active=false]").wait_for()
    assert not User.objects.get(username="ann-onboarded").is_active
    context, refused = fresh_page(browser)
    refused.goto(live_app + "/app/")
    refused.get_by_test_id("login-username").fill("ann-onboarded")
    refused.get_by_test_id("login-password").fill(NEW_PASSWORD)
    refused.get_by_test_id("login-submit").click()
    assert "wrong username or password" in refused.get_by_role("alert").inner_text()
    context.close()

    # A user created without a password gets a one-time link and chooses their own password with it.
    admin.get_by_test_id("new-user-toggle").click()
    admin.get_by_test_id("new-user-username").fill("dr-invited")
    admin.get_by_test_id("new-user-role").select_option("gastroenterologist")
    admin.get_by_test_id("new-user-submit").click()
    link = admin.get_by_test_id("new-user-created").get_by_test_id("invite-link").input_value()
    assert link.startswith(live_app + "/app/set-password?uid=")
    screenshot(admin, "onboarding-05-invite-link")
    context, invited = fresh_page(browser)
    invited.goto(link)
    assert invited.get_by_test_id("set-password-username").inner_text() == "dr-invited"
    invited.get_by_test_id("set-password-input").fill(NEW_PASSWORD)
    invited.get_by_test_id("set-password-confirm").fill(NEW_PASSWORD + "x")
    invited.get_by_test_id("set-password-submit").click()
    assert "differ" in invited.get_by_test_id("set-password-error").inner_text()
    invited.get_by_test_id("set-password-confirm").fill(NEW_PASSWORD)
    screenshot(invited, "onboarding-06-set-password")
    invited.get_by_test_id("set-password-submit").click()
    invited.get_by_test_id("set-password-done").wait_for()
    invited.get_by_test_id("set-password-login").click()
    invited.get_by_test_id("login-username").fill("dr-invited")
    invited.get_by_test_id("login-password").fill(NEW_PASSWORD)
    invited.get_by_test_id("login-submit").click()
    invited.get_by_test_id("nav-review").wait_for()
    invited.goto(link)  # used: it says so
    invited.get_by_test_id("set-password-invalid").wait_for()
    context.close()

    # The audit page: filter by action and person, then download the CSV of what matches.
    admin.get_by_test_id("nav-audit").click()
    admin.get_by_test_id("audit-page").wait_for()
    admin.get_by_test_id("audit-filter-action").select_option("user_create")
    admin.get_by_test_id("audit-filter-actor").fill("site-admin")
    admin.get_by_test_id("audit-filter-actor").press("Enter")
    admin.wait_for_url("**/app/audit?actor=site-admin&action=user_create")
    admin.locator("[data-testid=audit-count][data-count='2']").wait_for()
    rows = admin.get_by_test_id("audit-row")
    assert rows.count() == 2 and "ann-onboarded" in rows.nth(1).inner_text()
    screenshot(admin, "onboarding-07-audit-filtered")
    with admin.expect_download() as download_info:
        admin.get_by_test_id("audit-export").click()
    download = download_info.value
    assert download.suggested_filename.startswith("polypscope-audit-") and download.suggested_filename.endswith(".csv")
    exported = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert [(r["actor"], r["action"], r["target_type"]) for r in exported] == [
        ("site-admin", "user_create", "accounts.user")] * 2
    assert '"username": "ann-onboarded"' in exported[1]["detail"]

    # Dates: today (UTC, as the page says) keeps them; an end before the start is explained, not sent.
    today = timezone.now().date()
    admin.get_by_test_id("audit-filter-date-from").fill(today.isoformat())
    admin.wait_for_url(f"**date_from={today.isoformat()}")
    admin.locator("[data-testid=audit-count][data-count='2']").wait_for()
    admin.get_by_test_id("audit-filter-date-to").fill((today - dt.timedelta(days=1)).isoformat())
    assert "before the start" in admin.get_by_role("alert").inner_text()
    assert admin.get_by_test_id("audit-export").get_attribute("aria-disabled") == "true"

    # The role change is in the log too.
    admin.get_by_test_id("audit-clear").click()
    admin.get_by_test_id("audit-filter-action").select_option("user_role")
    admin.locator("[data-testid=audit-row][data-action=user_role]").first.wait_for()
    screenshot(admin, "onboarding-08-audit-role-change")
    assert AuditEntry.objects.filter(action=Action.EXPORT, actor__username="site-admin").exists()

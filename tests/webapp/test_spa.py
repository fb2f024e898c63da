import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(tmp_path, settings):
    (tmp_path / "index.html").write_text(
        '<!doctype html><html><head></head><body><div id="root"></div><script src="/static/app/x.js"></script>'
        "</body></html>")
    settings.FRONTEND_DIST = tmp_path
    return tmp_path


@pytest.mark.parametrize("path", ["/", "/app/", "/app/videos/3", "/app/studies/1?status=open"])
def test_the_review_ui_answers_its_client_routes_with_its_index(built, path):
    response = Client().get(path)
    assert response.status_code == 200 and b'<div id="root">' in response.content
    assert "csrftoken" in response.cookies


def test_an_unbuilt_review_ui_says_how_to_build_it(tmp_path, settings):
    settings.FRONTEND_DIST = tmp_path / "missing"
    response = Client().get("/app/")
    assert response.status_code == 503 and b"npm run build" in response.content


def test_the_index_says_who_is_logged_in_so_the_app_skips_a_round_trip(built, owner):
    client = Client()
    anonymous = client.get("/app/").content.decode()
    assert '<script id="polypscope-session" type="application/json">null</script>' in anonymous
    client.force_login(owner)
    page = client.get("/app/videos/1").content.decode()
    embedded = page.split('<script id="polypscope-session" type="application/json">')[1].split("</script>")[0]
    assert json.loads(embedded) == {"id": owner.pk, "username": owner.username, "role": "gastroenterologist"}


def test_the_embedded_session_cannot_close_its_script_element(built):
    from webapp.accounts.services import user_create

    user = user_create(username="x</script><b>", password="pw-long-enough-1", role="annotator")
    client = Client()
    client.force_login(user)
    page = client.get("/app/").content.decode()
    assert "x</script><b>" not in page and "x\\u003c/script>\\u003cb>" in page

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(tmp_path, settings):
    (tmp_path / "index.html").write_text('<!doctype html><div id="root"></div><script src="/static/app/x.js"></script>')
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

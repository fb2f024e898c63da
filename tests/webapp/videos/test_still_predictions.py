"""The model runs on still images when they are imported, so the still-image editor starts from a prediction."""

import pytest

from tests.webapp.studies.factories import kvasir_zip
from webapp.celery import app as celery_app
from webapp.mlops.services import model_version_ensure_active
from webapp.studies.models import Mask, MaskSource, StillImage
from webapp.videos import rle
from webapp.videos.stills import still_images_predict

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery():
    import webapp.videos.tasks  # noqa: F401 - registers the task, as a worker's autodiscovery does

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_an_imported_image_gets_the_models_prediction_in_its_mask_state(
        api_client, owner, tmp_path, eager_celery, django_capture_on_commit_callbacks):
    kvasir_zip(tmp_path / "kv.zip", n=3)
    api_client.force_authenticate(owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, (tmp_path / "kv.zip").open("rb") as fh:
        response = api_client.post("/api/studies/import/", {"file": fh}, format="multipart")
    assert response.status_code == 201 and len(callbacks) == 1
    version = model_version_ensure_active()
    images = StillImage.objects.filter(study_id=response.json()["id"]).order_by("id")
    assert Mask.objects.filter(image__in=images, source=MaskSource.MODEL, model_version=version).count() == 3

    state = api_client.get(f"/api/images/{images[0].pk}/mask/").json()
    assert state["prediction"] is not None and state["ground_truth"] is not None and state["current"] is None
    assert rle.decode(state["prediction"], state["height"], state["width"]).shape == (40, 56)


def test_predicting_again_adds_nothing(owner, tmp_path):
    from webapp.studies.importers import study_import_kvasir_zip

    kvasir_zip(tmp_path / "kv.zip", n=2)
    study = study_import_kvasir_zip(owner=owner, archive=tmp_path / "kv.zip", name="kv.zip", patient_pseudo_id="P")
    ids = list(StillImage.objects.filter(study=study).values_list("id", flat=True))
    assert still_images_predict(image_ids=ids) == 2
    assert still_images_predict(image_ids=[*ids, 999_999]) == 0  # done already, or gone
    assert Mask.objects.filter(image_id__in=ids, source=MaskSource.MODEL).count() == 2

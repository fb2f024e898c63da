import pytest
from django.db import IntegrityError

from inference.checkpoint import file_sha256
from inference.errors import CheckpointError
from tests.webapp.mlops.factories import write_tiny_checkpoint
from webapp.mlops.models import ModelVersion
from webapp.mlops.services import model_version_ensure_active, model_version_register

pytestmark = pytest.mark.django_db


def test_the_configured_checkpoint_is_registered_and_activated_on_first_use(settings):
    version = model_version_ensure_active()
    assert version.is_active and version.version == "test-tiny"
    assert version.sha256 == file_sha256(settings.INFERENCE_CHECKPOINT)
    assert version.config["input_size"] == 32 and version.config["model_config"]["variant"] == "scrnet"
    assert model_version_ensure_active() == version  # registered once
    assert ModelVersion.objects.count() == 1


def test_registering_is_idempotent_by_file_hash_and_activation_moves(tmp_path):
    first = model_version_register(checkpoint_path=write_tiny_checkpoint(tmp_path / "a.pt", "a"), activate=True)
    assert model_version_register(checkpoint_path=tmp_path / "a.pt") == first
    second = model_version_register(checkpoint_path=write_tiny_checkpoint(tmp_path / "b.pt", "b"), activate=True)
    first.refresh_from_db()
    assert second.is_active and not first.is_active


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    bogus = tmp_path / "x.pt"
    bogus.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError):
        model_version_register(checkpoint_path=bogus)
    assert not ModelVersion.objects.exists()


def test_the_database_allows_one_active_version_only():
    ModelVersion.objects.create(version="a", checkpoint_path="/a", sha256="a" * 64, is_active=True)
    with pytest.raises(IntegrityError):
        ModelVersion.objects.create(version="b", checkpoint_path="/b", sha256="b" * 64, is_active=True)

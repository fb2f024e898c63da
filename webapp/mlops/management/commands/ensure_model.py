"""python manage.py ensure_model: an active model version, registered once (the shipped checkpoint, or
POLYPSCOPE_CHECKPOINT) — the deployments' migrate step runs it, so /readyz finds a model from the first start."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from webapp.mlops.services import model_version_ensure_active


class Command(BaseCommand):
    help = "Register and activate the configured (else shipped) checkpoint unless a version is active; print it."

    def handle(self, *args, **options) -> None:
        version = model_version_ensure_active()
        self.stdout.write(f"active model: {version.version} (sha256 {version.sha256[:12]})")

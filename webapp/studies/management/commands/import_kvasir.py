"""python manage.py import_kvasir PATH --owner USERNAME [--patient ID] [--limit N]; PATH: a folder or a .zip"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from webapp.accounts.models import User
from webapp.errors import DomainError
from webapp.studies.importers import study_import_kvasir, study_import_kvasir_zip


class Command(BaseCommand):
    help = "Import a Kvasir-SEG style folder or zip (images/, masks/) as one study with ground-truth masks."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--owner", required=True, help="username of the study's owner")
        parser.add_argument("--patient", default=None, help="patient pseudonym (default: KVASIR-<folder name>)")
        parser.add_argument("--limit", type=int, default=None, help="import only the first N images")

    def handle(self, *args, path: Path, owner: str, patient: str | None, limit: int | None, **options) -> None:
        user = User.objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"no user named {owner!r}")
        name = path.resolve().stem if path.is_file() else path.resolve().name
        pseudo_id = patient or f"KVASIR-{name}"[:64]
        try:
            if path.is_file():
                study = study_import_kvasir_zip(owner=user, archive=path, name=path.name, limit=limit,
                                                patient_pseudo_id=pseudo_id)
            else:
                study = study_import_kvasir(owner=user, folder=path, limit=limit, patient_pseudo_id=pseudo_id)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        images = study.images.count()
        masks = study.images.filter(masks__isnull=False).count()
        self.stdout.write(f"study {study.pk}: {images} images, {masks} with ground truth")

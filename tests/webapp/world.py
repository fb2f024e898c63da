"""One small hospital, built through the app's real write paths, for the access matrix and the schema fuzzing:
every URL keyword of the API (study_id, video_id, index, event_id, image_id, propagation_id, user_id, version_id,
run_id, upload_id, number) resolves to an object that exists, and each actor stands in a known relation to it.

- `study`: owned by the admin; the gastroenterologist and the annotator are its members. It holds still images
  with ground truth (a Kvasir-SEG zip import), one processed 12-frame video (the real pipeline, tiny model), a
  polyp event on it, a person's correction of frame 2 and a propagation request from it, and the
  gastroenterologist's resumable upload (a session with no part sent yet).
- two more patients' studies (ground truth only), so that a fine-tuning run can start (three patients: train and
  holdout, tests/webapp/mlops/factories.PATIENTS), and the run itself (queued; nothing reaches a worker).
- `outsider_gastro`, `outsider_annotator`: each role, member of no study. `roleless`: a user nobody gave a role.

Every patient pseudonym is in `secrets`: nothing an outsider reads may contain one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from rest_framework.authtoken.models import Token

from tests.webapp.accounts.factories import make_user
from tests.webapp.annotations.factories import make_event
from tests.webapp.mlops.factories import PATIENTS, correct_frames
from tests.webapp.studies.factories import kvasir_zip
from tests.webapp.videos.factories import make_video
from webapp.accounts.models import Role, User
from webapp.annotations.models import Propagation
from webapp.annotations.services import propagation_request
from webapp.mlops.models import ModelVersion, TrainingRun
from webapp.mlops.runs import training_run_start
from webapp.studies.importers import study_import_kvasir_zip
from webapp.studies.models import StillImage, Study
from webapp.studies.services import study_set_members
from webapp.transfers.models import UploadSession
from webapp.transfers.services import upload_session_create
from webapp.videos.models import PolypEvent, Video
from webapp.videos.pipeline import video_process

ACTORS = ("anonymous", "roleless", "gastroenterologist", "annotator", "admin", "outsider")


@dataclass
class World:
    admin: User
    gastro: User
    annotator: User
    outsider_gastro: User
    outsider_annotator: User
    roleless: User
    study: Study
    video: Video
    spare_video: Video  # what DELETE /api/videos/{id}/ may take without spoiling the other requests
    event: PolypEvent
    image: StillImage
    propagation: Propagation
    upload: UploadSession
    version: ModelVersion
    run: TrainingRun
    secrets: tuple[str, ...]
    tokens: dict[str, str] = field(default_factory=dict)

    def url_kwargs(self) -> dict[str, int]:
        """A value for every URL keyword of the API."""
        return {"study_id": self.study.pk, "video_id": self.video.pk, "index": 2, "event_id": self.event.pk,
                "image_id": self.image.pk, "propagation_id": self.propagation.pk, "user_id": self.gastro.pk,
                "version_id": self.version.pk, "run_id": self.run.pk, "upload_id": self.upload.pk, "number": 1}

    def user(self, actor: str, role_for_outsider: str = Role.GASTROENTEROLOGIST) -> User | None:
        return {"anonymous": None, "roleless": self.roleless, "gastroenterologist": self.gastro,
                "annotator": self.annotator, "admin": self.admin,
                "outsider": self.outsider_annotator if role_for_outsider == Role.ANNOTATOR else self.outsider_gastro,
                }[actor]

    def token(self, user: User) -> str:
        if user.pk not in self.tokens:
            self.tokens[user.pk] = Token.objects.get_or_create(user=user)[0].key
        return self.tokens[user.pk]


def build_world(tmp_path: Path) -> World:
    """Call inside a test with database access. Enqueues happen on commit: inside a plain (non-transactional)
    test nothing reaches the broker; a transactional test should wrap this in
    django_capture_on_commit_callbacks(execute=False)."""
    admin = make_user(Role.ADMIN)
    gastro, annotator = make_user(Role.GASTROENTEROLOGIST), make_user(Role.ANNOTATOR)
    outsider_gastro, outsider_annotator = make_user(Role.GASTROENTEROLOGIST), make_user(Role.ANNOTATOR)
    # The services always give a role; a user without one comes from the Django admin (as in test_accounts_api).
    roleless = make_user(Role.ANNOTATOR)
    roleless.role = ""
    roleless.save(update_fields=["role"])
    studies = []
    for pseudo in PATIENTS:  # three patients with ground truth: a run has train and holdout patients
        archive = tmp_path / f"{pseudo}.zip"
        kvasir_zip(archive, n=2)
        studies.append(study_import_kvasir_zip(owner=admin, archive=archive, name=archive.name,
                                               patient_pseudo_id=pseudo, date=dt.date(2026, 11, 2)))
    study = studies[0]
    study_set_members(study=study, member_ids=[gastro.pk, annotator.pk], user=admin)
    video = make_video(tmp_path, study, admin, frames=12)
    video_process(video_id=video.pk)
    video = Video.objects.get(pk=video.pk)
    spare_video = make_video(tmp_path, study, admin, frames=4)
    video_process(video_id=spare_video.pk)
    event = make_event(video, 3, 6, peak=4)
    correct_frames(video, annotator, [2])
    propagation = propagation_request(video_id=video.pk, frame_index=2, user=annotator, forward=2, backward=2)
    upload = upload_session_create(study=study, user=gastro, filename="procedure.mp4", size=100)
    run = training_run_start(user=admin, config={"epochs": 1, "lr": 1e-4, "size": 32, "batch_size": 4,
                                                 "replay_ratio": 0.0})
    return World(admin=admin, gastro=gastro, annotator=annotator, outsider_gastro=outsider_gastro,
                 outsider_annotator=outsider_annotator, roleless=roleless, study=study, video=video,
                 spare_video=Video.objects.get(pk=spare_video.pk), event=event,
                 image=StillImage.objects.filter(study=study).order_by("pk").first(), propagation=propagation,
                 upload=upload,
                 version=run.base_model, run=run, secrets=PATIENTS)

"""Writes on model versions: register a checkpoint, promote a version (the one atomic switch), and the model
card numbers of registered checkpoints."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from webapp.accounts.models import User
from webapp.audit.models import Action
from webapp.audit.services import audit_record
from webapp.errors import Conflict
from webapp.mlops.models import ModelVersion

# Test-set numbers of shipped checkpoints, keyed by sha256 (the model card's table, as data).
MODEL_CARDS = Path(settings.BASE_DIR) / "inference" / "weights" / "MODEL_CARD.json"


class GateFailed(Conflict):
    code = "gate_failed"


class NotGated(Conflict):
    code = "no_gate"


@transaction.atomic
def model_version_register(*, checkpoint_path: Path | str, activate: bool = False) -> ModelVersion:
    """Register a checkpoint (idempotent by file hash); activate it when asked."""
    path = Path(checkpoint_path).resolve()
    from inference.checkpoint import file_sha256, read_checkpoint  # torch: not in the web process until needed

    data = read_checkpoint(path)  # raises CheckpointError for anything that is not a Polypscope checkpoint
    sha = file_sha256(path)
    version, _ = ModelVersion.objects.get_or_create(
        sha256=sha,
        defaults={
            "version": str(data.get("version", "unversioned")),
            "checkpoint_path": str(path),
            "config": {k: data[k] for k in ("model_config", "train_config", "input_size", "split_hash") if k in data},
            "metrics": data.get("metrics") or {},
        },
    )
    if activate and not version.is_active:
        ModelVersion.objects.select_for_update().filter(is_active=True).update(is_active=False)
        version.is_active = True
        version.save(update_fields=["is_active"])
    return version


def model_version_ensure_active() -> ModelVersion:
    """The active version; on first use, register and activate the configured (else shipped) checkpoint."""
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is not None:
        return active
    from inference.checkpoint import default_checkpoint

    path = settings.INFERENCE_CHECKPOINT or default_checkpoint()
    try:
        return model_version_register(checkpoint_path=path, activate=True)
    except IntegrityError:  # another process activated one at the same moment
        return ModelVersion.objects.get(is_active=True)


@cache
def model_cards() -> dict[str, dict]:
    """{sha256: card} of the shipped checkpoints (empty when the file is missing)."""
    try:
        return json.loads(MODEL_CARDS.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def model_version_promote(*, version: ModelVersion, user: User, override_reason: str = "") -> ModelVersion:
    """Make `version` the active model: one atomic switch, audited. Workers use it from their next video on.

    A version whose gate failed needs a written override reason; a fine-tuned version that was never gated
    (its run has not finished evaluating) needs one too. Registered checkpoints (the shipped model) and
    versions that passed need none: promoting an older version is how a rollback is done.
    """
    reason = override_reason.strip()
    with transaction.atomic():
        # Lock every version row the switch touches, in one order, so two promotions serialise.
        rows = ModelVersion.objects.select_for_update().filter(Q(pk=version.pk) | Q(is_active=True)).order_by("pk")
        locked = {v.pk: v for v in rows}
        version = locked[version.pk]
        if version.gate_passed is False and not reason:
            raise GateFailed(f"the gate refused {version.version}; promote it anyway only with a written reason "
                             "(override_reason)")
        if version.gate_passed is None and version.training_run_id is not None and not reason:
            raise NotGated(f"{version.version} has not been through the gate; give a reason to promote it anyway")
        previous = next((v for v in locked.values() if v.is_active and v.pk != version.pk), None)
        if previous is not None:
            previous.is_active = False
            previous.save(update_fields=["is_active"])
        version.is_active = True
        version.promoted_at = timezone.now()
        version.promoted_by = user
        version.override_reason = reason
        version.save(update_fields=["is_active", "promoted_at", "promoted_by", "override_reason"])
        audit_record(actor=user, action=Action.MODEL_PROMOTE, target=version, detail={
            "version": version.version, "previous": previous.pk if previous else None,
            "gate_passed": version.gate_passed, "override_reason": reason,
        })
    return version

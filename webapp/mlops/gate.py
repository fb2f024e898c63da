"""The promotion gate (worker side): candidate and active model scored on the fixed holdout, and the rule.

Measured for both models on the same frames (paired): per-image Dice, IoU, SE, SP (inference.metrics
conventions); per-patient Dice; event sensitivity, the share of holdout frames with a polyp in their label
whose polyp score reaches the event threshold (webapp.videos.events.HIGH_SCORE: the frame would be inside a
flagged event); a cluster bootstrap by patient of the Dice difference; and the Dice on the base dataset's test
split when the server has it (forgetting). The rule (settings GATE_*) is inference.compare.gate_decide.
"""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inference.compare import GateRule, gate_decide, group_means, paired_bootstrap, per_image_scores
from inference.data import read_mask, read_rgb
from inference.engine import Engine
from webapp.mlops.engines import checkpoint_file
from webapp.mlops.models import ModelVersion, RunStatus, Split, TrainingRun
from webapp.mlops.runs import training_run_broadcast
from webapp.mlops.services import model_version_ensure_active
from webapp.mlops.trainer import Lease, base_samples, load_pixels
from webapp.videos.events import HIGH_SCORE

METRICS = ("dice", "iou", "se", "sp")
# The Dice difference is bootstrapped over whole patients (their frames are correlated) once the holdout has this
# many; below it a patient-level interval says nothing (one patient: a point), so images are resampled instead and
# the report says which.
MIN_PATIENTS_FOR_CLUSTER_BOOTSTRAP = 3
_BATCH = 8


def gate_rule() -> GateRule:
    return GateRule(min_dice_gain=settings.GATE_MIN_DICE_GAIN,
                    require_ci_above_zero=settings.GATE_REQUIRE_CI_ABOVE_ZERO, max_drop=settings.GATE_MAX_DROP)


def _predict(engine: Engine, images_rgb: list[np.ndarray], lease: Lease | None) -> tuple[list[np.ndarray], list[float]]:
    masks, scores = [], []
    for start in range(0, len(images_rgb), _BATCH):
        bgr = [np.ascontiguousarray(im[..., ::-1]) for im in images_rgb[start:start + _BATCH]]
        for r in engine.predict_batch(bgr, start):
            masks.append(r.mask)
            scores.append(r.score)
        if lease is not None and lease.due():
            lease.renew()
    return masks, scores


def score_model(version: ModelVersion, images: list[np.ndarray], labels: list[np.ndarray], patients: list[str],
                base: tuple[list[np.ndarray], list[np.ndarray]] | None, lease: Lease | None = None) -> dict:
    """Per-image holdout scores of one model, its event sensitivity and its base test Dice."""
    engine = Engine.from_checkpoint(checkpoint_file(version), device=settings.TRAINING_DEVICE, batch=_BATCH)
    masks, scores = _predict(engine, images, lease)
    rows = per_image_scores(masks, labels)
    positive = [s for s, gt in zip(scores, labels, strict=True) if gt.any()]
    out = {
        "rows": rows,
        "summary": {name: float(np.mean([r[name] for r in rows])) for name in METRICS},
        "per_patient": group_means([r["dice"] for r in rows], patients),
    }
    out["summary"]["event_sensitivity"] = (
        float(np.mean([s >= HIGH_SCORE for s in positive])) if positive else None
    )
    out["summary"]["base_test_dice"] = None
    if base is not None and base[0]:
        base_masks, _ = _predict(engine, base[0], lease)
        out["summary"]["base_test_dice"] = float(np.mean([r["dice"] for r in per_image_scores(base_masks, base[1])]))
    return out


def gate_report(candidate: ModelVersion, active: ModelVersion, run: TrainingRun, lease: Lease | None = None) -> dict:
    holdout = list(run.snapshot.examples.filter(split=Split.HOLDOUT).order_by("id"))
    pixels = load_pixels(holdout)
    base = None
    samples = base_samples("test", settings.GATE_BASE_TEST_LIMIT)
    if samples:
        base = ([read_rgb(s.image) for s in samples], [read_mask(s.mask) for s in samples])
    scored_c = score_model(candidate, pixels.images, pixels.masks, pixels.patients, base, lease)
    scored_a = score_model(active, pixels.images, pixels.masks, pixels.patients, base, lease)
    by_patient = len(set(pixels.patients)) >= MIN_PATIENTS_FOR_CLUSTER_BOOTSTRAP
    diff = paired_bootstrap([r["dice"] for r in scored_c["rows"]], [r["dice"] for r in scored_a["rows"]],
                            groups=pixels.patients if by_patient else None, samples=settings.GATE_BOOTSTRAP_SAMPLES,
                            seed=run.pk)
    diff["resampled"] = "patients" if by_patient else "images"
    rule = gate_rule()
    passed, checks = gate_decide(rule, scored_c["summary"], scored_a["summary"], diff)
    frames: dict[str, int] = {}
    for p in pixels.patients:
        frames[p] = frames.get(p, 0) + 1
    return {
        "passed": passed,
        "rule": {**rule.to_dict(), "guarded": list(rule.guarded)},
        "candidate_version": {"id": candidate.pk, "version": candidate.version},
        "active_version": {"id": active.pk, "version": active.version},
        "holdout": {"images": len(holdout), "patients": len(frames)},
        "candidate": scored_c["summary"],
        "active": scored_a["summary"],
        "dice_diff": diff,
        "per_patient": [
            {"patient": p, "frames": frames[p], "candidate_dice": scored_c["per_patient"][p],
             "active_dice": scored_a["per_patient"][p]}
            for p in sorted(frames)
        ],
        "checks": checks,
        "evaluated_at": timezone.now().isoformat(timespec="seconds"),
    }


def training_run_gate(*, run: TrainingRun, lease: Lease) -> None:
    """Score the run's candidate against the active model and store the report on both (run: succeeded)."""
    candidate = run.candidate
    active = model_version_ensure_active()
    report = gate_report(candidate, active, run, lease)
    with transaction.atomic():
        lease.renew(status=RunStatus.SUCCEEDED, gate_passed=report["passed"], gate_report=report,
                    finished_at=timezone.now(), progress={**run.progress, "phase": "done"})
        ModelVersion.objects.filter(pk=candidate.pk).update(gate_passed=report["passed"], gate_report=report)
    training_run_broadcast(TrainingRun.objects.get(pk=run.pk))

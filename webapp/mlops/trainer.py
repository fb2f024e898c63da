"""The fine-tuning worker's side of a run (queue `train`; imports torch, so only workers import it).

A run: claim it (one holder at a time, by lease), load the snapshot's pixels, fine-tune the base model with
`inference.fit.fit` (resuming from the last epoch a killed worker left in the media storage), register the
candidate as a model version, then gate it against the active model on the fixed holdout
(webapp/mlops/gate.py). Every epoch renews the lease, stores `last.pt` through the media storage and
broadcasts progress; losing the lease (cancelled, or taken over after a stall) stops the run at its next step.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from inference.checkpoint import file_sha256, read_checkpoint
from inference.data import list_samples, load_tensors, select
from inference.errors import DatasetError
from inference.fit import FINETUNE_DEFAULTS, EpochReport, arrays_to_tensors, fit
from webapp import media
from webapp.leases import expired, is_held, new_token
from webapp.mlops.engines import checkpoint_file
from webapp.mlops.models import ModelVersion, RunStatus, SnapshotExample, Split, TrainingRun
from webapp.mlops.runs import training_run_broadcast
from webapp.studies.models import StillImage
from webapp.videos import rle
from webapp.videos.models import Video

log = logging.getLogger(__name__)

# Progress is written (and broadcast) at most this often within an epoch: a step takes about 0.1-1 s.
PROGRESS_INTERVAL_S = 2.0


class LeaseLost(Exception):
    """The run was cancelled, failed, or taken over by another worker: stop and write nothing more."""


@dataclass
class Lease:
    run_id: int
    token: str
    lost: bool = False
    last_renewed: float = 0.0

    def renew(self, **fields) -> None:
        """Renew the heartbeat (and write `fields`) only while this worker still holds the run."""
        held = TrainingRun.objects.filter(
            pk=self.run_id, lease_token=self.token, status__in=(RunStatus.RUNNING, RunStatus.EVALUATING)
        ).update(heartbeat_at=timezone.now(), **fields)
        self.last_renewed = time.monotonic()
        if not held:
            self.lost = True
            raise LeaseLost(f"training run {self.run_id}: lease lost")

    def due(self) -> bool:
        return time.monotonic() - self.last_renewed >= min(PROGRESS_INTERVAL_S, settings.TRAINING_LEASE_S / 4)


def training_run_claim(*, run_id: int) -> Lease | None:
    """Take the run if nobody holds it: queued, or running/evaluating with a heartbeat older than the lease."""
    now = timezone.now()
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.EVALUATING):
            return None
        if run.status != RunStatus.QUEUED and is_held(run.heartbeat_at, settings.TRAINING_LEASE_S, now):
            return None  # another worker holds it (a redelivered or duplicated message)
        token = new_token()
        if run.status == RunStatus.QUEUED:
            run.status = RunStatus.RUNNING
        run.lease_token, run.heartbeat_at = token, now
        run.attempts += 1
        run.started_at = run.started_at or now
        run.save(update_fields=["status", "lease_token", "heartbeat_at", "attempts", "started_at"])
    lease = Lease(run_id, token)
    lease.last_renewed = time.monotonic()
    return lease


def training_runs_stale() -> list[int]:
    """Runs nobody is working on: queued or running with no heartbeat within the lease (a killed worker,
    a message lost with a restarted broker). The reconciler re-enqueues them; the claim keeps it single."""
    active = TrainingRun.objects.filter(status__in=(RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.EVALUATING))
    return list(expired(active, settings.TRAINING_LEASE_S).order_by("id").values_list("id", flat=True))


def training_runs_unfinished() -> list[int]:
    """Runs not in a final state (a restarted embedded server re-enqueues them: its memory broker forgot them).
    Their lease is taken over at once: in one process, no other worker can hold it."""
    runs = TrainingRun.objects.filter(status__in=(RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.EVALUATING))
    ids = list(runs.order_by("id").values_list("id", flat=True))
    runs.update(heartbeat_at=None)
    return ids


# --- pixels ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pixels:
    """Decoded examples: RGB images, boolean masks and their patient (pseudonym), in example order."""

    images: list[np.ndarray]  # (H, W, 3) uint8 RGB
    masks: list[np.ndarray]  # (H, W) bool
    patients: list[str]


def load_pixels(examples: list[SnapshotExample]) -> Pixels:
    """Decode the examples' frames (one pass through each video) and images; masks from the stored RLE."""
    frames: dict[int, dict[int, np.ndarray]] = defaultdict(dict)
    wanted: dict[int, set[int]] = defaultdict(set)
    for e in examples:
        if e.kind == "frame":
            wanted[e.video_id].add(e.frame_index)
    for video_id, indices in wanted.items():
        video = Video.objects.filter(pk=video_id).first()
        if video is None:
            raise DatasetError(f"video {video_id} of the snapshot was deleted; start a new run")
        with media.local_copy(video.file.name) as path:
            cap = cv2.VideoCapture(str(path))
            try:
                index, last = 0, max(indices)
                while index <= last:  # sequential decoding: seeking in H.264 is not frame-exact
                    ok, bgr = cap.read()
                    if not ok:
                        break
                    if index in indices:
                        frames[video_id][index] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                    index += 1
            finally:
                cap.release()
        missing = sorted(indices - frames[video_id].keys())
        if missing:
            raise DatasetError(f"frames {missing[:5]} of video {video_id} could not be decoded")
    images = {i.pk: i for i in StillImage.objects.filter(pk__in=[e.image_id for e in examples if e.kind == "image"])}
    out_images, out_masks, patients = [], [], []
    pseudo = dict(SnapshotExample.objects.filter(pk__in=[e.pk for e in examples])
                  .values_list("pk", "patient__pseudo_id"))
    for e in examples:
        if e.kind == "frame":
            rgb = frames[e.video_id][e.frame_index]
        else:
            image = images.get(e.image_id)
            if image is None:
                raise DatasetError(f"image {e.image_id} of the snapshot was deleted; start a new run")
            with image.file.open("rb") as fh:
                bgr = cv2.imdecode(np.frombuffer(fh.read(), np.uint8), cv2.IMREAD_COLOR)
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        out_images.append(rgb)
        out_masks.append(rle.decode(e.rle, e.height, e.width))
        patients.append(pseudo[e.pk])
    return Pixels(out_images, out_masks, patients)


def base_samples(part: str, limit: int = 0):
    """Samples of the base dataset's fixed split part ('train' for replay, 'test' for the gate), or []."""
    if not settings.TRAINING_BASE_DATASET:
        return []
    try:
        from inference.data import DEFAULT_SPLIT_FILE

        samples = select(list_samples(settings.TRAINING_BASE_DATASET), DEFAULT_SPLIT_FILE, part)
    except DatasetError as exc:
        log.warning("base dataset %s not used: %s", settings.TRAINING_BASE_DATASET, exc)
        return []
    return samples[:limit] if limit else samples


# --- the run --------------------------------------------------------------------------------------------


def _work_dir(run: TrainingRun, lease: Lease) -> Path:
    """A folder of this attempt's own: a stalled earlier holder on the same machine, still writing until its next
    renewal notices the lost lease, never writes into the files this attempt resumes from."""
    folder = Path(settings.TRAINING_WORK_DIR) / f"run-{run.pk}" / lease.token[:12]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def training_run_execute(*, run_id: int) -> None:
    """Claim, train (or resume), register the candidate, gate it. Safe to call twice at once: one claims."""
    lease = training_run_claim(run_id=run_id)
    if lease is None:
        return
    run = TrainingRun.objects.select_related("base_model", "snapshot").get(pk=run_id)
    training_run_broadcast(run)
    try:
        if run.status == RunStatus.RUNNING:
            _train(run, lease)
            run.refresh_from_db()
        if run.status == RunStatus.EVALUATING:
            from webapp.mlops.gate import training_run_gate

            training_run_gate(run=run, lease=lease)
    except LeaseLost:
        log.info("training run %s: stopped (cancelled or taken over)", run_id)
    except Exception as exc:
        training_run_fail(run_id=run_id, token=lease.token, message=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        run = TrainingRun.objects.get(pk=run_id)
        if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED):
            shutil.rmtree(Path(settings.TRAINING_WORK_DIR) / f"run-{run_id}", ignore_errors=True)
        training_run_broadcast(run)


def training_run_fail(*, run_id: int, token: str, message: str) -> None:
    TrainingRun.objects.filter(pk=run_id, lease_token=token,
                               status__in=(RunStatus.RUNNING, RunStatus.EVALUATING)).update(
        status=RunStatus.FAILED, error=message[:2000], finished_at=timezone.now())


def _train(run: TrainingRun, lease: Lease) -> None:
    config = run.config
    examples = list(run.snapshot.examples.filter(split=Split.TRAIN).order_by("id"))
    lease.renew(progress={**run.progress, "phase": "loading"})
    pixels = load_pixels(examples)
    size = int(config["size"])
    train = arrays_to_tensors(list(zip(pixels.images, pixels.masks, strict=True)), size)
    replay = None
    if config.get("replay_ratio") and run.snapshot.replay_dataset:
        pool = base_samples("train")
        if pool:
            replay = load_tensors(pool, size, workers=2)
    holdout_ex = list(run.snapshot.examples.filter(split=Split.HOLDOUT).order_by("id"))
    holdout = load_pixels(holdout_ex)
    val = arrays_to_tensors(list(zip(holdout.images, holdout.masks, strict=True)), size)

    work = _work_dir(run, lease)
    last = work / "last.pt"
    # Resume from the checkpoint the run's history was recorded with (the media storage holds the truth: a local
    # last.pt may be an epoch ahead of it, written just before a worker died).
    if run.checkpoint_name:
        with default_storage.open(run.checkpoint_name, "rb") as src, last.open("wb") as out:
            shutil.copyfileobj(src, out, 1024 * 1024)
    base_path = checkpoint_file(run.base_model)
    variant = read_checkpoint(base_path).get("model_config", {}).get("variant", "scrnet")
    # The run's config over the fine-tuning recipe (inference.fit.FINETUNE_DEFAULTS: short warmup, low lr).
    cfg = replace(FINETUNE_DEFAULTS, variant=variant, size=size, epochs=int(config["epochs"]),
                  batch_size=int(config["batch_size"]), lr=float(config["lr"]), lr_min=float(config["lr"]) / 100,
                  replay_ratio=float(config.get("replay_ratio") or 0.0), device=settings.TRAINING_DEVICE, seed=run.pk)
    history = list(run.history)
    progress = {"phase": "training", "epoch": len(history), "epochs": cfg.epochs, "step": 0, "steps": None,
                "loss": history[-1]["loss"] if history else None,
                "holdout_dice": history[-1]["holdout_dice"] if history else None}
    lease.renew(progress=progress)
    training_run_broadcast(TrainingRun.objects.get(pk=run.pk))

    def on_step(step: int, steps: int, loss: float) -> None:
        # epoch: the one in progress, counted from 1; step: steps done inside it (API.md, training runs).
        progress.update(epoch=len(history) + 1, step=step, steps=steps, loss=round(loss, 5))
        if lease.due():
            lease.renew(progress=progress)
            training_run_broadcast(TrainingRun.objects.get(pk=run.pk))

    def on_epoch(report: EpochReport) -> None:
        name = media.store(f"training-runs/{run.pk}/{uuid.uuid4().hex}-last.pt", report.last_path)
        history[:] = [h for h in history if h["epoch"] < report.epoch]
        history.append({"epoch": report.epoch, "loss": round(report.loss, 5),
                        "holdout_dice": round(report.val_dice, 5) if report.val_dice is not None else None,
                        "seconds": round(report.seconds, 1)})
        progress.update(epoch=report.epoch, step=progress.get("steps") or 0, loss=round(report.loss, 5),
                        holdout_dice=history[-1]["holdout_dice"])
        previous = TrainingRun.objects.filter(pk=run.pk).values_list("checkpoint_name", flat=True).first()
        try:
            lease.renew(progress=progress, history=history, checkpoint_name=name)
        except LeaseLost:
            media.discard(name)
            raise
        if previous and previous != name:
            media.discard(previous)
        training_run_broadcast(TrainingRun.objects.get(pk=run.pk))

    result = fit(
        train, cfg, work_dir=work, version=f"{variant}-{size}px-run{run.pk}", val=val, replay=replay,
        init_from=base_path, resume=True, select_best=False, on_epoch=on_epoch, on_step=on_step,
        should_stop=lambda: lease.lost or (lease.due() and _still_held(lease)),
        extra_meta={"training_run": run.pk, "snapshot_sha256": run.snapshot.sha256},
    )
    if lease.lost or result.stopped:
        raise LeaseLost(f"training run {run.pk}: stopped")
    candidate = _register_candidate(run, result.candidate_path)
    lease.renew(candidate=candidate, status=RunStatus.EVALUATING,
                progress={**progress, "phase": "evaluating"})


def _still_held(lease: Lease) -> bool:
    """should_stop's poll: False while the lease holds (renewing it), True once it is lost."""
    try:
        lease.renew()
    except LeaseLost:
        return True
    return False


def _register_candidate(run: TrainingRun, path: Path) -> ModelVersion:
    """The run's model as a new (inactive) version, its checkpoint stored in the media storage."""
    sha = file_sha256(path)
    existing = ModelVersion.objects.filter(sha256=sha).first()
    if existing is not None:
        return existing
    data = read_checkpoint(path)
    name = media.store(f"models/{sha[:16]}-{uuid.uuid4().hex[:8]}.pt", path)
    cache = Path(settings.CHECKPOINT_CACHE_DIR)
    cache.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, cache / f"{sha}.pt")
    try:
        return ModelVersion.objects.create(
            version=str(data.get("version")), storage_name=name, sha256=sha,
            config={k: data[k] for k in ("model_config", "train_config", "input_size") if k in data},
            metrics=data.get("metrics") or {}, parent=run.base_model, snapshot=run.snapshot, training_run=run,
        )
    except Exception:
        media.discard(name)
        raise

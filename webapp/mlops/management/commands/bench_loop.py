"""Proof that the retraining loop helps: CVC-ColonDB through the real app and API, then held-out scores.

    python manage.py bench_loop [--datasets DIR] [--clips 10] [--epochs N] [--lr X] [--size PX] [--batch-size N]
                                [--replay-ratio X] [--gate-base-limit N] [--score-limit N]

In a fresh PostgreSQL database of its own (created beside the configured one, dropped afterwards) and a
temporary media folder, as an admin through the API (DRF's APIClient, in this process):
1. one study per ColonDB sequence 1..clips (patients COLONDB-SEQ01..), each uploading `colondb_seqNN_5fps.mp4`;
2. the clip's ground truth saved as corrections (frame k of clip NN: the k-th frame of sequence NN in
   cvc-colondb/sequences.csv order, its mask encoded with webapp.videos.rle at the video's size);
3. a fine-tuning run started (settings.TRAINING_DEFAULTS unless overridden), gated, then promoted (with a
   written override reason when the gate refused).
Celery runs eagerly (the app's task_always_eager, set for the command's duration): each upload processes its
video and the run's POST trains and gates it inside the request, in this process, and nothing reaches the
broker, so no outside worker can pick up a task of this database.
4. The shipped model and the promoted one scored per image (inference.compare.per_image_scores, Dice/IoU/SE/SP
at the image's resolution) on ColonDB sequences clips+1..15 (never uploaded; byte-identical frames kept once,
as inference/evaluate.py does) and on the Kvasir-SEG test split. Prints one JSON object and a summary line.
Targets (the issue): unseen-sequence Dice up by >= 0.05, Kvasir-SEG test Dice down by at most 0.01.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import secrets
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from rest_framework.test import APIClient

from inference.compare import per_image_scores
from inference.data import DEFAULT_SPLIT_FILE, Sample, dedupe, list_samples, read_mask, select
from inference.engine import Engine
from webapp.accounts.models import Role
from webapp.accounts.services import user_create
from webapp.benchmarks import fresh_database, machine_facts
from webapp.mlops.engines import checkpoint_file
from webapp.mlops.models import ModelVersion, TrainingRun
from webapp.mlops.services import model_version_ensure_active
from webapp.videos import rle

SEQUENCES = 15  # CVC-ColonDB's videos
UNSEEN_DICE_TARGET = 0.05  # the issue: unseen-sequence Dice up by at least this much
KVASIR_DROP_LIMIT = 0.01  # the issue: Kvasir-SEG test Dice down by at most this much
METRICS = ("dice", "iou", "se", "sp")


class Command(BaseCommand):
    help = "Fine-tune on CVC-ColonDB clips through the app and API; print held-out Dice before and after."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--datasets", type=Path, default=settings.DEMO_DATASETS,
                            help="folder with cvc-colondb/, kvasir-seg/ and videos/ (default settings.DEMO_DATASETS)")
        parser.add_argument("--clips", type=int, default=10,
                            help="sequences 1..clips are uploaded; the rest are unseen")
        parser.add_argument("--epochs", type=int, default=None)
        parser.add_argument("--lr", type=float, default=None)
        parser.add_argument("--size", type=int, default=None)
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--replay-ratio", type=float, default=None)
        parser.add_argument("--gate-base-limit", type=int, default=None,
                            help="Kvasir-SEG test images the gate scores (default settings.GATE_BASE_TEST_LIMIT)")
        parser.add_argument("--score-limit", type=int, default=0,
                            help="score only this many images of each held-out set (0: all; for smoke runs)")

    def handle(self, *args, datasets: Path, clips: int, gate_base_limit: int | None, score_limit: int,
               **options) -> None:
        colondb, kvasir, videos = datasets / "cvc-colondb", datasets / "kvasir-seg", datasets / "videos"
        for folder in (colondb, kvasir, videos):
            if not folder.is_dir():
                raise CommandError(f"{folder}: not found (--datasets)")
        if not 3 <= clips < SEQUENCES:
            raise CommandError(f"--clips must be 3..{SEQUENCES - 1}: the holdout needs a third patient, "
                               "and one sequence must stay unseen")
        sequences = _sequences(colondb)
        overrides = {k: options[k] for k in ("epochs", "lr", "size", "batch_size", "replay_ratio")
                     if options[k] is not None}
        began = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="bench-loop-") as tmp, fresh_database("bench_loop"), _eager_celery():
            extra = {} if gate_base_limit is None else {"GATE_BASE_TEST_LIMIT": gate_base_limit}
            with override_settings(MEDIA_ROOT=str(Path(tmp) / "media"), CHECKPOINT_CACHE_DIR=Path(tmp) / "ckpt",
                                   TRAINING_WORK_DIR=Path(tmp) / "training", TRAINING_BASE_DATASET=str(kvasir),
                                   ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], **extra):
                result = self._loop(colondb, videos, sequences, clips, overrides)
                shipped_path, promoted_path = result.pop("_paths")
                unseen = [s for s in _colondb_samples(colondb, sequences) if sequences[s.id] > clips]
                unseen, dropped = dedupe(unseen)
                seen_hashes = {_sha(s.image) for s in _colondb_samples(colondb, sequences) if sequences[s.id] <= clips}
                leaked = sum(_sha(s.image) in seen_hashes for s in unseen)
                kvasir_test = select(list_samples(kvasir), DEFAULT_SPLIT_FILE, "test")
                if score_limit:
                    unseen, kvasir_test = unseen[:score_limit], kvasir_test[:score_limit]
                self._say(f"scoring {len(unseen)} unseen ColonDB frames and {len(kvasir_test)} Kvasir-SEG test images")
                t0 = time.monotonic()
                scores = {name: {"unseen": _score(path, unseen), "kvasir": _score(path, kvasir_test)}
                          for name, path in (("shipped", shipped_path), ("promoted", promoted_path))}
                score_s = time.monotonic() - t0
        u_s, u_p = scores["shipped"]["unseen"]["dice"], scores["promoted"]["unseen"]["dice"]
        k_s, k_p = scores["shipped"]["kvasir"]["dice"], scores["promoted"]["kvasir"]["dice"]
        out = {
            "unseen_dice": {"shipped": round(u_s, 4), "promoted": round(u_p, 4), "gain": round(u_p - u_s, 4),
                            "target_gain": UNSEEN_DICE_TARGET, "met": u_p - u_s >= UNSEEN_DICE_TARGET,
                            "sequences": list(range(clips + 1, SEQUENCES + 1)), "images": len(unseen),
                            "duplicates_dropped": dropped, "identical_to_an_uploaded_frame": leaked},
            "kvasir_test_dice": {"shipped": round(k_s, 4), "promoted": round(k_p, 4), "change": round(k_p - k_s, 4),
                                 "max_drop": KVASIR_DROP_LIMIT, "met": k_s - k_p <= KVASIR_DROP_LIMIT,
                                 "images": len(kvasir_test)},
            "scores": {name: {part: {m: round(v, 4) for m, v in s.items()} for part, s in parts.items()}
                       for name, parts in scores.items()},
            **result,
            "scoring_seconds": round(score_s, 1),
            "total_seconds": round(time.monotonic() - began, 1),
            "machine": machine_facts(),
        }
        self.stdout.write(json.dumps(out, indent=2))
        self.stdout.write(
            f"unseen ColonDB sequences {clips + 1}-{SEQUENCES}: Dice {u_s:.4f} -> {u_p:.4f} ({u_p - u_s:+.4f}, target "
            f">= +{UNSEEN_DICE_TARGET}: {'met' if out['unseen_dice']['met'] else 'MISSED'}); Kvasir-SEG test: "
            f"{k_s:.4f} -> {k_p:.4f} ({k_p - k_s:+.4f}, at most -{KVASIR_DROP_LIMIT}: "
            f"{'met' if out['kvasir_test_dice']['met'] else 'MISSED'}); fine-tuning {out['fine_tune_seconds']:.0f} s, "
            f"gate {'passed' if out['gate']['passed'] else 'refused (promoted with an override)'}")

    def _say(self, text: str) -> None:
        self.stderr.write(f"[bench_loop {time.strftime('%H:%M:%S')}] {text}")
        sys.stderr.flush()

    def _loop(self, colondb: Path, videos: Path, sequences: dict[str, int], clips: int, overrides: dict) -> dict:
        admin = user_create(username=f"bench-loop-{secrets.token_hex(3)}", password=secrets.token_urlsafe(12),
                            role=Role.ADMIN)
        client = APIClient()
        client.force_authenticate(user=admin)
        shipped = model_version_ensure_active()
        frames_of: dict[int, list[str]] = defaultdict(list)
        for frame, seq in sequences.items():  # sequences.csv order
            frames_of[seq].append(frame)
        processing_s, corrections = 0.0, 0
        for seq in range(1, clips + 1):
            response = client.post("/api/studies/", {"patient_pseudo_id": f"COLONDB-SEQ{seq:02d}",
                                                     "date": dt.date.today().isoformat(),
                                                     "indication": "bench_loop"}, format="json")
            _expect(response, 201, "create study")
            t0 = time.monotonic()
            with (videos / f"colondb_seq{seq:02d}_5fps.mp4").open("rb") as fh:
                response = client.post(f"/api/studies/{response.data['id']}/videos/", {"file": fh}, format="multipart")
            _expect(response, 201, f"upload clip {seq}")
            video = client.get(f"/api/videos/{response.data['id']}/").data
            processing_s += time.monotonic() - t0
            if video["status"] != "done":
                raise CommandError(f"clip {seq}: video {video['id']} ended {video['status']}: {video.get('error')}")
            truth = frames_of[seq]
            if video["frame_count"] != len(truth):
                raise CommandError(f"clip {seq}: {video['frame_count']} frames, sequences.csv lists {len(truth)}")
            for k, frame in enumerate(truth):
                mask = read_mask(colondb / "masks" / f"{frame}.png")
                if mask.shape != (video["height"], video["width"]):
                    raise CommandError(f"clip {seq}: mask {frame}.png is {mask.shape[1]}x{mask.shape[0]}, the video "
                                       f"{video['width']}x{video['height']}")
                response = client.post(f"/api/videos/{video['id']}/frames/{k}/revisions/",
                                       {"rle": rle.encode(mask), "based_on": None, "note": f"CVC-ColonDB {frame}"},
                                       format="json")
                _expect(response, 201, f"correct frame {k} of clip {seq}")
                corrections += 1
            self._say(f"clip {seq}: {len(truth)} frames processed and corrected ({time.monotonic() - t0:.0f} s)")

        self._say(f"starting the run (overrides {overrides or 'none'})")
        t0 = time.monotonic()
        response = client.post("/api/training-runs/", overrides, format="json")  # eager: trains and gates here
        _expect(response, 201, "start the training run")
        request_s = time.monotonic() - t0
        run = client.get(f"/api/training-runs/{response.data['id']}/").data
        if run["status"] != "succeeded":
            raise CommandError(f"training run {run['id']} ended {run['status']}: {run.get('error')}")
        row = TrainingRun.objects.get(pk=run["id"])
        candidate = ModelVersion.objects.get(pk=row.candidate_id)
        # The candidate is registered the moment training ends, just before the run turns to evaluating.
        fine_tune_s = (candidate.created_at - row.started_at).total_seconds()
        total_s = (row.finished_at - row.started_at).total_seconds()
        report = row.gate_report or {}
        self._say(f"run {row.pk}: fine-tuned in {fine_tune_s:.0f} s, gate {'passed' if row.gate_passed else 'refused'}")

        reason = "" if row.gate_passed else "bench_loop: promoted to measure it on unseen sequences despite the gate"
        response = client.post(f"/api/models/{candidate.pk}/promote/",
                               {"override_reason": reason} if reason else {}, format="json")
        _expect(response, 200, "promote the candidate")
        candidate.refresh_from_db()
        if not candidate.is_active:
            raise CommandError(f"model version {candidate.pk} is not active after its promotion")
        return {
            "fine_tune_seconds": round(fine_tune_s, 1),
            "run_seconds_with_gate": round(total_s, 1),
            "run_request_seconds": round(request_s, 1),
            "gate": {
                "passed": row.gate_passed,
                "promoted_with_override": bool(reason),
                "holdout": report.get("holdout"),
                "candidate": _rounded(report.get("candidate")),
                "active": _rounded(report.get("active")),
                "dice_diff": _rounded(report.get("dice_diff")),
                "checks": report.get("checks"),
                "per_patient": report.get("per_patient"),
            },
            "snapshot": {"id": row.snapshot_id, "sha256": row.snapshot.sha256, **row.snapshot.counts},
            "history": row.history,
            "config": {**row.config, "overrides": overrides, "clips": clips, "corrections": corrections,
                       "base_model": shipped.version, "candidate": candidate.version,
                       "celery": "task_always_eager: videos processed and the run trained and gated in this process, "
                                 "inside their API requests",
                       "gate_base_test_limit": settings.GATE_BASE_TEST_LIMIT},
            "video_processing_seconds": round(processing_s, 1),
            "_paths": (checkpoint_file(shipped), checkpoint_file(candidate)),
        }


@contextmanager
def _eager_celery():
    from webapp.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


def _expect(response, code: int, what: str) -> None:
    if response.status_code != code:
        raise CommandError(f"{what}: HTTP {response.status_code} {getattr(response, 'data', response.content)}")


def _sequences(colondb: Path) -> dict[str, int]:
    """{frame id: sequence}, in sequences.csv order (the order of the clips' frames)."""
    with (colondb / "sequences.csv").open() as fh:
        return {row["frame"]: int(row["sequence"]) for row in csv.DictReader(fh)}


def _colondb_samples(colondb: Path, sequences: dict[str, int]) -> list[Sample]:
    return [Sample(frame, colondb / "images" / f"{frame}.jpg", colondb / "masks" / f"{frame}.png")
            for frame in sequences if (colondb / "images" / f"{frame}.jpg").is_file()]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _score(checkpoint: Path, samples: list[Sample], batch: int = 8) -> dict[str, float]:
    """Mean per-image Dice, IoU, SE, SP of the checkpoint's masks at each image's own resolution."""
    engine = Engine.from_checkpoint(checkpoint, device=settings.TRAINING_DEVICE, batch=batch)
    rows: list[dict[str, float]] = []
    for i in range(0, len(samples), batch):
        part = samples[i:i + batch]
        results = engine.predict_batch([cv2.imread(str(s.image), cv2.IMREAD_COLOR) for s in part], i)
        rows += per_image_scores([r.mask for r in results], [read_mask(s.mask) for s in part])
    return {m: float(np.mean([r[m] for r in rows])) for m in METRICS}


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value

"""Dataset snapshots: what a fine-tuning run learns from and what gates it, frozen and content-hashed.

What enters a snapshot (one example per target, its label from `annotations.labels.current_labels`, the one
source of truth for labels): imported ground truth and every corrected target's current label, and frames of
events whose current verdict is "false positive" as empty masks (hard negatives: the model drew a polyp that
is not there). Each example carries its patient's split, assigned once and never moved (`patient_split_of`).

No torch here: the web process builds snapshots; only the training worker decodes pixels.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction

from webapp.accounts.models import User
from webapp.annotations.labels import Label, current_labels
from webapp.annotations.models import VerdictValue
from webapp.annotations.selectors import events_with_verdicts
from webapp.audit.models import Action
from webapp.audit.services import audit_record
from webapp.errors import DomainError
from webapp.mlops.models import DatasetSnapshot, ExampleSource, PatientSplit, SnapshotExample, Split
from webapp.studies.models import Patient, Study
from webapp.videos import rle
from webapp.videos.models import PolypEvent, Video, VideoStatus

# Hard negatives per event judged false positive: the peak and frames either side of it (within the event).
# Neighbouring frames look alike, so a few teach as much as the whole event, and a long false event must not
# swamp the corrected frames.
HARD_NEGATIVES_PER_EVENT = 3
HARD_NEGATIVE_STEP = 2  # frames between the hard negatives taken around the peak
# The holdout gets its first patient once this many patients are in train: a holdout drawn only by hash can
# stay empty for a small hospital, and an empty holdout gates nothing.
FIRST_HOLDOUT_AFTER = 2


class NothingToTrain(DomainError):
    code = "no_new_labels"


def _hash_fraction(pseudo_id: str) -> float:
    """A patient's place in [0, 1), from its pseudonym alone (the same on every installation and run)."""
    digest = hashlib.sha256(f"polypscope-split:{pseudo_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def patient_split_of(patient: Patient) -> str:
    """The patient's split, assigned on first use and stored; adding patients never moves one.

    Holdout when the pseudonym hashes below TRAINING_HOLDOUT_FRACTION, or when no patient is in the holdout
    yet and FIRST_HOLDOUT_AFTER are in train.
    """
    existing = PatientSplit.objects.filter(patient=patient).values_list("split", flat=True).first()
    if existing:
        return existing
    with transaction.atomic():
        # One assignment at a time, so two snapshots built at once cannot both take "the first holdout".
        list(PatientSplit.objects.select_for_update().filter(split=Split.HOLDOUT)[:1])
        holdout = _hash_fraction(patient.pseudo_id) < settings.TRAINING_HOLDOUT_FRACTION
        if not holdout and not PatientSplit.objects.filter(split=Split.HOLDOUT).exists():
            holdout = PatientSplit.objects.filter(split=Split.TRAIN).count() >= FIRST_HOLDOUT_AFTER
        try:
            with transaction.atomic():
                row = PatientSplit.objects.create(patient=patient, split=Split.HOLDOUT if holdout else Split.TRAIN)
        except IntegrityError:  # assigned by another process meanwhile: theirs stands
            return PatientSplit.objects.get(patient=patient).split
    return row.split


@dataclass(frozen=True)
class _Example:
    kind: str
    video_id: int | None
    frame_index: int | None
    image_id: int | None
    study_id: int
    patient_id: int
    source: str
    revision_id: int | None
    mask_id: int | None
    event_id: int | None
    height: int
    width: int
    rle: str
    mask_sha256: str

    def line(self, split: str) -> str:
        """The canonical line the snapshot's hash is taken over (targets, labels and their split)."""
        target = f"frame:{self.video_id}:{self.frame_index}" if self.kind == "frame" else f"image:{self.image_id}"
        return f"{target}|{self.source}|{self.revision_id}|{self.mask_id}|{self.mask_sha256}|{split}"


def _mask_sha256(rle_text: str, height: int, width: int) -> str:
    mask = rle.decode(rle_text, height, width)
    return hashlib.sha256(np.packbits(mask, axis=None).tobytes() + f"{height}x{width}".encode()).hexdigest()


def _from_label(label: Label) -> _Example:
    return _Example(
        kind=label.kind, video_id=label.video_id, frame_index=label.frame_index, image_id=label.image_id,
        study_id=label.study_id, patient_id=label.patient_id, source=label.source,
        revision_id=label.revision_id, mask_id=label.mask_id, event_id=None, height=label.height,
        width=label.width, rle=label.rle, mask_sha256=_mask_sha256(label.rle, label.height, label.width),
    )


def hard_negative_frames(event: PolypEvent) -> list[int]:
    """Up to HARD_NEGATIVES_PER_EVENT frames of an event: its peak, then alternately after and before it."""
    frames = [event.peak_index]
    k = 1
    while len(frames) < HARD_NEGATIVES_PER_EVENT and k <= event.end_index - event.start_index:
        for index in (event.peak_index + k * HARD_NEGATIVE_STEP, event.peak_index - k * HARD_NEGATIVE_STEP):
            if event.start_index <= index <= event.end_index and len(frames) < HARD_NEGATIVES_PER_EVENT:
                frames.append(index)
        k += 1
    return sorted(set(frames))


def _hard_negatives(study_ids: list[int], labelled: set[tuple[int, int]]) -> list[_Example]:
    """Frames of events whose current verdict is false positive, as empty masks; labelled frames keep theirs."""
    events = events_with_verdicts(
        PolypEvent.objects.filter(video__study_id__in=study_ids, video__status=VideoStatus.DONE)
        .select_related("video__study")
        .order_by("video_id", "start_index")
    )
    out: list[_Example] = []
    for event in events:
        history = event.verdict_history
        if not history or history[0].value != VerdictValue.FALSE_POSITIVE:
            continue
        video: Video = event.video
        empty = rle.encode(np.zeros((video.height, video.width), dtype=bool))
        sha = _mask_sha256(empty, video.height, video.width)
        for index in hard_negative_frames(event):
            if (video.pk, index) in labelled:
                continue
            labelled.add((video.pk, index))
            out.append(_Example(
                kind="frame", video_id=video.pk, frame_index=index, image_id=None, study_id=video.study_id,
                patient_id=video.study.patient_id, source=ExampleSource.HARD_NEGATIVE, revision_id=None,
                mask_id=None, event_id=event.pk, height=video.height, width=video.width, rle=empty, mask_sha256=sha,
            ))
    return out


def snapshot_examples(*, exclude_studies: Iterable[int] = ()) -> list[_Example]:
    """Every example that would enter a snapshot now (labels, then hard negatives), in a stable order."""
    excluded = set(exclude_studies)
    study_ids = list(Study.objects.exclude(pk__in=excluded).order_by("id").values_list("id", flat=True))
    examples = [_from_label(label) for label in current_labels(study_ids=study_ids)]
    labelled = {(e.video_id, e.frame_index) for e in examples if e.kind == "frame"}
    return examples + _hard_negatives(study_ids, labelled)


def replay_pool_size(dataset: str) -> int:
    """Images of the base dataset's fixed split train part that are on this server (the replay pool)."""
    if not dataset:
        return 0
    split = Path(settings.BASE_DIR) / "inference" / "splits" / "kvasir-seg.json"  # inference.data.DEFAULT_SPLIT_FILE
    images = Path(dataset) / "images"
    if not split.is_file() or not images.is_dir():
        return 0
    present = {p.stem for p in images.iterdir()}
    return sum(i in present for i in json.loads(split.read_text()).get("train", []))


def snapshot_create(*, user: User, exclude_studies: Iterable[int] = (), replay_dataset: str = "") -> DatasetSnapshot:
    """Freeze today's examples into a snapshot (or return the identical one that exists: same content, same
    hash). Raises NothingToTrain when there is no example at all, or no patient on either side of the split."""
    excluded = sorted(set(exclude_studies))
    examples = snapshot_examples(exclude_studies=excluded)
    if not examples:
        raise NothingToTrain("there are no labels to train on: no corrections, ground truth or false-positive "
                             "verdicts in the studies included")
    patients = {p.pk: p for p in Patient.objects.filter(pk__in={e.patient_id for e in examples})}
    splits = {pk: patient_split_of(patient) for pk, patient in patients.items()}
    lines = sorted(e.line(splits[e.patient_id]) for e in examples)
    sha = hashlib.sha256(("\n".join(lines) + f"\nreplay:{replay_dataset}").encode()).hexdigest()
    existing = DatasetSnapshot.objects.filter(sha256=sha).first()
    if existing is not None:
        return existing
    train = [e for e in examples if splits[e.patient_id] == Split.TRAIN]
    holdout = [e for e in examples if splits[e.patient_id] == Split.HOLDOUT]
    counts = {
        "examples": len(examples),
        "train_examples": len(train),
        "holdout_examples": len(holdout),
        "hard_negatives": sum(e.source == ExampleSource.HARD_NEGATIVE for e in examples),
        "replay_examples": replay_pool_size(replay_dataset),
        "train_patients": sorted(patients[p].pseudo_id for p in {e.patient_id for e in train}),
        "holdout_patients": sorted(patients[p].pseudo_id for p in {e.patient_id for e in holdout}),
    }
    try:
        with transaction.atomic():
            snapshot = DatasetSnapshot.objects.create(
                sha256=sha, created_by=user, excluded_studies=excluded, counts=counts, replay_dataset=replay_dataset,
            )
            SnapshotExample.objects.bulk_create([
                SnapshotExample(
                    snapshot=snapshot, kind=e.kind, video_id=e.video_id, frame_index=e.frame_index,
                    image_id=e.image_id, study_id=e.study_id, patient_id=e.patient_id, split=splits[e.patient_id],
                    source=e.source, revision_id=e.revision_id, mask_id=e.mask_id, event_id=e.event_id,
                    height=e.height, width=e.width, rle=e.rle, mask_sha256=e.mask_sha256,
                )
                for e in examples
            ], batch_size=1000)
            audit_record(actor=user, action=Action.SNAPSHOT_CREATE, target=snapshot,
                         detail={"sha256": sha, **{k: v for k, v in counts.items() if isinstance(v, int)}})
    except IntegrityError:  # the same snapshot was frozen by another request at the same moment
        return DatasetSnapshot.objects.get(sha256=sha)
    return snapshot

"""Dataset snapshots and the patient split: what enters, what never moves, what is refused."""

from __future__ import annotations

import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.mlops.conftest import PATIENTS, correct_frames
from tests.webapp.studies.factories import make_study
from webapp.accounts.models import Role
from webapp.annotations.models import VerdictValue
from webapp.annotations.services import verdict_give
from webapp.mlops.models import ExampleSource, PatientSplit, SnapshotExample, Split
from webapp.mlops.snapshots import (
    HARD_NEGATIVES_PER_EVENT,
    NothingToTrain,
    _hash_fraction,
    hard_negative_frames,
    patient_split_of,
    replay_pool_size,
    snapshot_create,
)
from webapp.studies.models import Patient
from webapp.videos.models import PolypEvent

pytestmark = pytest.mark.django_db


def test_the_fixture_pseudonyms_do_not_hash_into_the_holdout(settings):
    assert all(_hash_fraction(p) >= settings.TRAINING_HOLDOUT_FRACTION for p in PATIENTS)


def test_a_patient_split_is_assigned_once_and_never_moves():
    admin = make_user(Role.ADMIN)
    first = [make_study(admin, pseudo_id=p).patient for p in PATIENTS]
    splits = [patient_split_of(p) for p in first]
    # Two in train, then the first holdout patient: a small hospital's holdout is never empty.
    assert splits == [Split.TRAIN, Split.TRAIN, Split.HOLDOUT]
    # Forty more patients: about 20% go to the holdout by their hash, and none of the first three moves.
    more = [make_study(admin, pseudo_id=f"MORE-{i:03d}").patient for i in range(40)]
    later = [patient_split_of(p) for p in more]
    assert [patient_split_of(p) for p in first] == splits
    expected = [Split.HOLDOUT if _hash_fraction(p.pseudo_id) < 0.2 else Split.TRAIN for p in more]
    assert later == expected
    assert 2 <= later.count(Split.HOLDOUT) <= 16
    assert PatientSplit.objects.count() == 43


def test_a_snapshot_holds_every_current_label_with_its_patient_split(labelled_studies):
    admin, _, pairs = labelled_studies
    snapshot = snapshot_create(user=admin)
    rows = list(SnapshotExample.objects.filter(snapshot=snapshot).order_by("video_id", "frame_index"))
    assert [(r.video_id, r.frame_index) for r in rows] == [(v.pk, i) for _, v in pairs for i in (2, 5, 8)]
    assert {r.source for r in rows} == {ExampleSource.REVISION}
    by_patient = {Patient.objects.get(pk=r.patient_id).pseudo_id: r.split for r in rows}
    assert by_patient == {"LOOP-A": Split.TRAIN, "LOOP-D": Split.TRAIN, "LOOP-E": Split.HOLDOUT}
    assert snapshot.counts["train_examples"] == 6 and snapshot.counts["holdout_examples"] == 3
    assert snapshot.counts["holdout_patients"] == ["LOOP-E"]


def test_the_same_labels_give_the_same_snapshot_and_a_new_correction_a_new_one(labelled_studies):
    admin, _, pairs = labelled_studies
    first = snapshot_create(user=admin)
    assert snapshot_create(user=admin).pk == first.pk
    correct_frames(pairs[0][1], admin, [10])
    second = snapshot_create(user=admin)
    assert second.sha256 != first.sha256
    assert second.counts["examples"] == first.counts["examples"] + 1


def test_an_excluded_study_leaves_its_labels_out(labelled_studies):
    admin, _, pairs = labelled_studies
    snapshot = snapshot_create(user=admin, exclude_studies=[pairs[1][0].pk])
    assert not SnapshotExample.objects.filter(snapshot=snapshot, study_id=pairs[1][0].pk).exists()
    assert snapshot.counts["examples"] == 6 and snapshot.excluded_studies == [pairs[1][0].pk]


def test_frames_of_an_event_judged_false_positive_enter_as_empty_hard_negatives(labelled_studies):
    admin, _, pairs = labelled_studies
    video = pairs[0][1]
    # The event the pipeline found (the tiny random model flags the whole synthetic clip).
    event = PolypEvent.objects.get(video=video)
    assert (event.start_index, event.end_index) == (0, 11)
    verdict_give(event=event, reviewer=admin, value=VerdictValue.FALSE_POSITIVE)
    snapshot = snapshot_create(user=admin)
    negatives = list(SnapshotExample.objects.filter(snapshot=snapshot, source=ExampleSource.HARD_NEGATIVE))
    # Frames around the peak; a corrected frame among them keeps its person's label.
    expected = [i for i in hard_negative_frames(event) if i not in (2, 5, 8)]
    assert expected and sorted(n.frame_index for n in negatives) == expected
    assert all(n.event_id == event.pk and n.rle == negatives[0].rle for n in negatives)
    assert snapshot.counts["hard_negatives"] == len(expected)
    # A later verdict of "confirmed" supersedes: the frames leave the next snapshot.
    verdict_give(event=event, reviewer=admin, value=VerdictValue.CONFIRMED)
    assert snapshot_create(user=admin).counts["hard_negatives"] == 0


def test_hard_negatives_are_capped_per_event_and_stay_inside_it():
    event = PolypEvent(start_index=100, end_index=400, peak_index=101, peak_score=0.9, start_s=0, end_s=1)
    frames = hard_negative_frames(event)
    assert len(frames) == HARD_NEGATIVES_PER_EVENT and frames == [101, 103, 105]
    short = PolypEvent(start_index=7, end_index=7, peak_index=7, peak_score=0.9, start_s=0, end_s=1)
    assert hard_negative_frames(short) == [7]


def test_nothing_labelled_is_refused_with_a_message():
    with pytest.raises(NothingToTrain, match="no labels to train on"):
        snapshot_create(user=make_user(Role.ADMIN))


def test_the_replay_pool_counts_the_base_sets_training_images_present(tmp_path, settings):
    import json

    split = json.loads((settings.BASE_DIR / "inference" / "splits" / "kvasir-seg.json").read_text())
    (tmp_path / "images").mkdir()
    for name in [*split["train"][:3], split["test"][0]]:  # a test image never counts
        (tmp_path / "images" / f"{name}.jpg").write_bytes(b"")
    assert replay_pool_size(str(tmp_path)) == 3
    assert replay_pool_size("") == 0 and replay_pool_size(str(tmp_path / "missing")) == 0

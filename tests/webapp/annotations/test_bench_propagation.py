"""The propagation benchmark (manage.py bench_propagation) on one short real CVC-ColonDB clip (sequence 10, 5
frames), through the real upload, pipeline (the tests' tiny model), correction and propagation services, with
eager Celery. ../shared/datasets is there on every machine that runs the tests (and in CI): a missing folder is
a failure, not a skip.

transaction=True: the command's tasks run when their request commits, as in its own fresh database."""

import io
import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command

from webapp.annotations.models import MaskRevision, Propagation, PropagationStatus, RevisionKind

pytestmark = pytest.mark.django_db(transaction=True)

# seq, clip frames, reached/scored, stop, then proposal, model, diff and copy Dice
ROW = re.compile(r"^\s*10\s+5\s+(\d)/4\s+(\w+)\s+([\d.]+)\s+([\d.]+)\s+([+-][\d.]+)\s+([\d.]+)$", re.M)


def test_it_scores_the_proposals_of_one_clip_beside_the_model_and_times_a_walk():
    assert (settings.DEMO_DATASETS / "videos" / "colondb_seq10_5fps.mp4").is_file(), settings.DEMO_DATASETS
    out = io.StringIO()
    call_command("bench_propagation", sequences=(10,), timing_sequences=(10,), timing_frames=3, in_place=True,
                 stdout=out)
    text = out.getvalue()
    row = ROW.search(text)
    assert row is not None, text
    reached, stop, proposal, model, diff, copy = row.groups()
    assert 0 <= int(reached) <= 4 and stop in ("end", "scene_change", "low_consistency")
    assert 0 <= float(proposal) <= 1 and 0 <= float(model) <= 1 and 0 <= float(copy) <= 1
    assert float(diff) == pytest.approx(float(proposal) - float(model), abs=2e-4)
    assert "mean over 1 sequences" in text and "counts as the model's own prediction" in text
    # Timed walks asking for 3 frames from each keyframe with 3 frames after it: frames 0 and 1.
    timed = re.search(r"^\s*10\s+2\s+(\d)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+", text, re.M)
    assert timed is not None and float(timed.group(3)) > 0, text
    assert "target: 3 frames in under 2.0 s" in text
    assert re.search(r"machine: .+, \d+ cores", text)
    # The proposals went through the app: one request per walk, each done, its proposals stored as revisions.
    jobs = list(Propagation.objects.order_by("pk"))
    assert [(j.frame_index, j.forward, j.backward, j.status) for j in jobs] == [
        (0, 4, 0, PropagationStatus.DONE), (0, 3, 0, PropagationStatus.DONE), (1, 3, 0, PropagationStatus.DONE)]
    proposals = MaskRevision.objects.filter(kind=RevisionKind.PROPAGATED, propagated_from=jobs[0].source)
    assert proposals.count() >= int(reached)


def test_json_gives_the_same_numbers_per_frame():
    out = io.StringIO()
    call_command("bench_propagation", sequences=(10,), timing_sequences=(), in_place=True, json=True, stdout=out)
    report = json.loads(out.getvalue())
    (row,) = report["sequences"]
    assert row["sequence"] == 10 and row["scored"] == 4 and [f["frame"] for f in row["frames"]] == [1, 2, 3, 4]
    for frame in row["frames"]:
        assert 0 <= frame["proposal"] <= 1 and 0 <= frame["model"] <= 1
        if not frame["reached"]:
            assert frame["proposal"] == frame["model"]  # not reached: scored as the model's own mask
    assert report["mean_over_sequences"]["diff"] == pytest.approx(row["proposal"] - row["model"], abs=2e-4)
    assert report["timing"] == [] and "timing_target" not in report
    assert report["dice_target"] == {"gain": 0.05, "met": report["mean_over_sequences"]["diff"] >= 0.05}

"""The database backup deploy/README.md documents, done for real: data made through the app's own write paths (a
study, a video processed by the real pipeline, a person's mask revisions, a verdict, the audit log), `pg_dump -Fc` of
the database, `pg_restore` into a fresh database, and every row is there: the same count in every table, and the
rows that matter byte for byte. The media bucket is the other half of a backup (README); it is not PostgreSQL's."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import psycopg
import pytest
from django.db import connection

from tests.webapp.accounts.factories import make_user
from tests.webapp.annotations.factories import square_rle
from webapp.accounts.models import Role
from webapp.annotations.models import MaskRevision, Verdict
from webapp.annotations.services import mask_revision_create, verdict_give
from webapp.annotations.targets import MaskTarget
from webapp.studies.models import Study
from webapp.studies.services import study_add_member
from webapp.videos.models import FrameResult, PolypEvent, Video

pytestmark = [
    pytest.mark.django_db(transaction=True),  # committed: pg_dump reads from another connection
    pytest.mark.skipif(not (shutil.which("pg_dump") and shutil.which("pg_restore")),
                       reason="pg_dump and pg_restore (PostgreSQL's client) are not installed"),
]


def _pg(database: str) -> dict[str, str]:
    """libpq's connection settings for `database` on the tests' server."""
    db = connection.settings_dict
    return {"host": db["HOST"] or "127.0.0.1", "port": str(db["PORT"] or 5432), "user": db["USER"] or "postgres",
            "dbname": database}


def _env(pg: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ, PGHOST=pg["host"], PGPORT=pg["port"], PGUSER=pg["user"])
    if connection.settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = connection.settings_dict["PASSWORD"]
    return env


def _tables(conn: psycopg.Connection) -> dict[str, int]:
    """Rows in every table of the public schema."""
    names = [row[0] for row in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _rows(conn: psycopg.Connection, query: str) -> list[tuple]:
    return conn.execute(query).fetchall()


@pytest.fixture
def restored_name():
    name = f"polypscope_restore_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(**_pg("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_pg_dump_restores_every_study_frame_result_and_revision(done_video, study, owner, tmp_path, restored_name):
    # Data through the real write paths: done_video was uploaded and processed by the pipeline; an annotator
    # corrects two frames (the second one twice: a chain of revisions).
    annotator = make_user(Role.ANNOTATOR)
    study_add_member(study=study, user=annotator)
    height, width = done_video.height, done_video.width
    first = mask_revision_create(target=MaskTarget(video=done_video, frame_index=3), author=annotator,
                                 rle_text=square_rle(height, width)[0], based_on_id=None, note="polyp edge")
    target = MaskTarget(video=done_video, frame_index=7)
    base = mask_revision_create(target=target, author=annotator, rle_text=square_rle(height, width, top=5)[0],
                                based_on_id=None)
    mask_revision_create(target=target, author=annotator, rle_text=square_rle(height, width, top=6, size=7)[0],
                         based_on_id=base.pk, note="larger")
    # The owner (a gastroenterologist) judges every event the pipeline found.
    for event in PolypEvent.objects.filter(video=done_video):
        verdict_give(event=event, reviewer=owner, value="confirmed", note="sessile, 4 mm")
    assert FrameResult.objects.filter(video=done_video).count() == done_video.frame_count == 12
    assert MaskRevision.objects.count() == 3 and first.model_version_id == done_video.model_version_id

    source = connection.settings_dict["NAME"]
    dump = tmp_path / "polypscope.dump"
    pg = _pg(source)
    subprocess.run(["pg_dump", "-Fc", "--no-owner", "-d", source, "-f", str(dump)], env=_env(pg), check=True,
                   timeout=120)
    with psycopg.connect(**_pg("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{restored_name}"')
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-d", restored_name, str(dump)], env=_env(pg),
                   check=True, timeout=120)

    study_table, video_table = Study._meta.db_table, Video._meta.db_table
    frame_table, revision_table = FrameResult._meta.db_table, MaskRevision._meta.db_table
    verdict_table = Verdict._meta.db_table
    queries = {
        "studies": f"SELECT id, owner_id, patient_id, date, status FROM {study_table} ORDER BY id",
        "videos": f"SELECT id, study_id, checksum, status, frame_count, frames_done FROM {video_table} ORDER BY id",
        "frames": f"SELECT video_id, index, score, area, mask_rle FROM {frame_table} ORDER BY video_id, index",
        "revisions": f"SELECT id, video_id, frame_index, based_on_id, author_id, rle, note, prediction_dice "
                     f"FROM {revision_table} ORDER BY id",
        "verdicts": f"SELECT id, event_id, reviewer_id, value, note FROM {verdict_table} ORDER BY id",
    }
    with psycopg.connect(**pg) as before, psycopg.connect(**_pg(restored_name)) as after:
        counts = _tables(before)
        assert _tables(after) == counts  # every table, every row
        assert counts[study_table] >= 1 and counts[frame_table] == 12 and counts[revision_table] == 3
        for what, query in queries.items():
            assert _rows(after, query) == _rows(before, query), what
        # The restored database answers the schema's own questions: migrations recorded, sequences moved on.
        assert _rows(after, "SELECT count(*) FROM django_migrations") == _rows(before,
                                                                              "SELECT count(*) FROM django_migrations")
        next_id = after.execute(f"SELECT nextval(pg_get_serial_sequence('{revision_table}', 'id'))").fetchone()[0]
        assert next_id > max(r[0] for r in _rows(after, queries["revisions"]))

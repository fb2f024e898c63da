"""The resumable uploads' tests: no part files left from before; for the S3 path the fixtures `s3_endpoint` and
`bucket` (tests/conftest.py, tests/webapp/s3.py) and what a bucket holds."""

from __future__ import annotations

import shutil

import pytest

from tests.webapp.s3 import bucket_objects  # noqa: F401 - the S3 tests import it from here


@pytest.fixture(autouse=True)
def no_parts_left_from_before(media_root):
    """Each test starts without part files: a session a test left open (on purpose) keeps its parts on disk, and
    session ids start again in a fresh transaction, so another test's session could find them."""
    shutil.rmtree(media_root / "tmp", ignore_errors=True)


def multipart_uploads(client, name: str) -> list[str]:
    """Keys of the multipart uploads the bucket holds open (their parts cost storage until aborted)."""
    return [u["Key"] for u in client.list_multipart_uploads(Bucket=name).get("Uploads", [])]

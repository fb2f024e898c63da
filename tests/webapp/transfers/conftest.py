"""An S3 bucket for the resumable uploads' S3 path: moto's S3 server in this process, spoken to over HTTP by
django-storages, boto3 and the tests' own part PUTs (as tests/webapp/test_media.py does)."""

from __future__ import annotations

import shutil
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

from webapp.settings import storages_for

REGION = "us-east-1"
KEYS = {"aws_access_key_id": "polypscope-test", "aws_secret_access_key": "polypscope-test"}


@pytest.fixture(autouse=True)
def no_parts_left_from_before(media_root):
    """Each test starts without part files: a session a test left open (on purpose) keeps its parts on disk, and
    session ids start again in a fresh transaction, so another test's session could find them."""
    shutil.rmtree(media_root / "tmp", ignore_errors=True)


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    """A fresh bucket made the default storage through the settings' own S3 configuration; this machine's temporary
    folder (scratch files, downloads) is tmp_path/scratch. Yields (client, bucket name)."""
    name = f"polypscope-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, **KEYS)
    client.create_bucket(Bucket=name)
    settings.STORAGES = storages_for(bucket=name, endpoint_url=s3_endpoint, region=REGION,
                                     access_key_id=KEYS["aws_access_key_id"],
                                     secret_access_key=KEYS["aws_secret_access_key"])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(scratch)
    return client, name


def bucket_objects(client, name: str) -> dict[str, bytes]:
    listing = client.list_objects_v2(Bucket=name).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=name, Key=o["Key"])["Body"].read() for o in listing}


def multipart_uploads(client, name: str) -> list[str]:
    """Keys of the multipart uploads the bucket holds open (their parts cost storage until aborted)."""
    return [u["Key"] for u in client.list_multipart_uploads(Bucket=name).get("Uploads", [])]

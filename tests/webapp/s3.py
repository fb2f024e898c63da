"""An S3 bucket for tests: moto's S3 server in this process, spoken to over HTTP by django-storages, boto3 and the
tests' own requests exactly as a real S3-compatible store would be (tests/webapp/test_media.py, the resumable
uploads' S3 path in tests/webapp/transfers/). The fixtures `s3_endpoint` and `bucket` (tests/conftest.py) use these."""

from __future__ import annotations

import uuid

import boto3
from moto.server import ThreadedMotoServer

from webapp.settings import storages_for

REGION = "us-east-1"
KEYS = {"aws_access_key_id": "polypscope-test", "aws_secret_access_key": "polypscope-test"}


def s3_server():
    """moto's S3 server on a free port; yields its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def make_bucket(s3_endpoint, settings, tmp_path):
    """A fresh bucket on the S3 server, made the default storage through the settings' own S3 configuration;
    this machine's temporary folder (scratch files, downloads) is tmp_path/scratch."""
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

"""An S3 endpoint over HTTP on a loopback port: moto's server mode, started for the tests and stopped after."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from curata.storage import S3Connection
from tests.services import free_port, wait_for

MOTO = Path(sys.executable).parent / "moto_server"


def answers(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=1):
        return True


def wait_until_up(endpoint: str) -> None:
    """Until the moto server at `endpoint` answers (the shared `wait_for`)."""
    wait_for(lambda: answers(f"{endpoint}/moto-api/"), timeout=30)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def s3(s3_endpoint: str) -> S3Connection:
    """Credentials for the test endpoint (moto accepts any)."""
    return S3Connection(endpoint_url=s3_endpoint, region_name="us-east-1", access_key_id="test", secret_access_key="t")


@pytest.fixture
def bucket(s3: S3Connection) -> str:
    """A new, empty bucket for one test."""
    name = f"curata-{uuid.uuid4().hex[:12]}"
    s3.client().create_bucket(Bucket=name)
    return name

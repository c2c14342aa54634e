"""Faults that must lose nothing: an upload cut or killed half-way, a tampered object, an endpoint down or
refusing the credentials. Against moto's S3 server over HTTP; the credentials test starts its own, with auth."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pytest

from curata.archive import (
    ColdStorageError,
    VerificationFailed,
    archive_day,
    inventory_problems,
    restore_day,
)
from curata.archive.cold import MIB
from curata.archive.days import ARCHIVED
from curata.archive.receipts import RESTORED, read_receipt
from curata.storage import S3Connection
from tests.archive_helpers import (
    DAY_KEY,
    NOW,
    POLICY,
    add_file,
    object_bytes,
    snapshot,
    tiers_for,
    unfinished_uploads,
    write_day,
)
from tests.conftest import later
from tests.moto_server import MOTO, free_port, wait_until_up

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def day_folders(root, make_session) -> list[str]:
    """The day, grown past two 5 MiB parts by an incompressible file."""
    folders = write_day(root, make_session)
    add_file(root.sessions / folders[0], "upscaled.bin", 11 * MIB, later(0))
    return folders


@pytest.fixture
def tiers(root, s3, bucket):
    return tiers_for(root, s3, bucket)


class CutConnection(RuntimeError):
    pass


def test_an_upload_cut_half_way_keeps_the_hot_copy_and_the_rerun_completes(root, tiers, day_folders):
    before = snapshot(root.sessions, day_folders)

    def cut_after_first_part(sent: int, total: list[int] = [0]) -> None:  # noqa: B006  (a counter)
        total[0] += sent
        if total[0] > 5 * MIB:
            raise CutConnection("network gone")

    with pytest.raises(CutConnection):
        archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW, progress=cut_after_first_part)

    assert snapshot(root.sessions, day_folders) == before
    assert read_receipt(tiers.store, DAY_KEY) is None
    assert tiers.cold.head(tiers.cold.key_of(DAY_KEY)) is None  # never visible half-written
    outcome = archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)
    assert (outcome.status, outcome.removed) == (ARCHIVED, 3)
    assert unfinished_uploads(tiers) == []
    restore_day(DAY_KEY, tiers)
    assert snapshot(root.sessions, day_folders) == before


KILLED_RUN = """
import os, signal, sys
from pathlib import Path
from curata.archive import ArchivePolicy, archive_day
from curata.layout import DataRoot
from curata.storage import S3Connection
from tests.archive_helpers import DAY_KEY, NOW, POLICY, tiers_for

endpoint, bucket, root, folders = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4].split(",")
s3 = S3Connection(endpoint_url=endpoint, region_name="us-east-1", access_key_id="test", secret_access_key="t")
sent = [0]

def die_mid_upload(n):
    sent[0] += n
    if sent[0] > 5 * 2**20:  # the first part is in the bucket
        os.kill(os.getpid(), signal.SIGKILL)

archive_day(DAY_KEY, folders, [], tiers_for(DataRoot(root), s3, bucket), POLICY, NOW, progress=die_mid_upload)
"""


def test_a_run_killed_during_the_upload_keeps_the_hot_copy_and_the_next_run_completes(
    root, tiers, day_folders, s3_endpoint, bucket
):
    before = snapshot(root.sessions, day_folders)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, s3_endpoint, bucket, str(root.root), ",".join(day_folders)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert snapshot(root.sessions, day_folders) == before
    assert read_receipt(tiers.store, DAY_KEY) is None
    assert tiers.cold.head(tiers.cold.key_of(DAY_KEY)) is None
    assert [u["Key"] for u in unfinished_uploads(tiers)] == [tiers.cold.key_of(DAY_KEY)]  # billed until aborted
    outcome = archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)
    assert (outcome.status, outcome.verified, outcome.removed) == (ARCHIVED, True, 3)
    assert unfinished_uploads(tiers) == []


def tamper(tiers, key: str) -> None:
    """One byte flipped in the middle of the object, same size: only a checksum can tell."""
    data = bytearray(object_bytes(tiers, key))
    data[len(data) // 2] ^= 0xFF
    tiers.cold.client.put_object(Bucket=tiers.cold.bucket, Key=key, Body=bytes(data))


def test_a_tampered_object_fails_verification_and_nothing_is_deleted(root, tiers, day_folders):
    entry = archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW).entry
    restore_day(DAY_KEY, tiers)
    before = snapshot(root.sessions, day_folders)
    tamper(tiers, entry.object_key)

    with pytest.raises(VerificationFailed, match="nothing was removed: .*sha256"):
        archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)  # would remove the hot copy again

    assert snapshot(root.sessions, day_folders) == before
    assert read_receipt(tiers.store, DAY_KEY).hot_copy == RESTORED
    deep = inventory_problems(tiers.cold, [entry])
    assert deep and all(p.startswith(f"{DAY_KEY} ({entry.object_key}): ") for p in deep)
    assert any(" sha256 " in p for p in deep)
    assert "replaced" in inventory_problems(tiers.cold, [entry], deep=False)[0]  # the ETag moved too


def test_a_tampered_object_is_never_restored(root, tiers, day_folders):
    entry = archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW).entry
    tamper(tiers, entry.object_key)

    with pytest.raises(VerificationFailed):
        restore_day(DAY_KEY, tiers)

    assert os.listdir(root.sessions) == ["session-2025-01-16T10-30-45-123Z"]  # nothing restored, no staging left


def test_a_missing_object_is_reported(tiers, day_folders):
    entry = archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW).entry
    tiers.cold.client.delete_object(Bucket=tiers.cold.bucket, Key=entry.object_key)

    assert inventory_problems(tiers.cold, [entry]) == [
        f"{DAY_KEY} ({entry.object_key}): missing from {tiers.cold.where}"
    ]


def test_an_endpoint_that_is_down_gives_one_clear_error_and_nothing_is_deleted(root, day_folders, bucket):
    down = S3Connection(f"http://127.0.0.1:{free_port()}", "us-east-1", "test", "t")
    tiers = tiers_for(root, down, bucket)
    before = snapshot(root.sessions, day_folders)

    with pytest.raises(ColdStorageError, match="cannot reach the cold tier: bucket .* cannot be reached"):
        archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)

    assert snapshot(root.sessions, day_folders) == before
    assert read_receipt(tiers.store, DAY_KEY) is None


# -- credentials: a moto server of its own that checks them (after the set-up's first unchecked calls) -------
SETUP_CALLS = 4  # create user, access key, policy and bucket; every later call must be signed by a known key


@pytest.fixture(scope="module")
def checked_endpoint() -> Iterator[tuple[str, dict]]:
    port = free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(SETUP_CALLS))
    server = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        iam = boto3.client(
            "iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
        )
        iam.create_user(UserName="archiver")
        key = iam.create_access_key(UserName="archiver")["AccessKey"]
        allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_user_policy(UserName="archiver", PolicyName="all", PolicyDocument=json.dumps(allow_all))
        good = S3Connection(url, "us-east-1", key["AccessKeyId"], key["SecretAccessKey"])
        good.client().create_bucket(Bucket="checked-cold")
        yield url, {"good": good, "bad": replace(good, secret_access_key="wrong-secret")}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_refused_credentials_give_one_clear_error_and_nothing_is_deleted(root, day_folders, checked_endpoint):
    _url, keys = checked_endpoint
    refused = tiers_for(root, keys["bad"], "checked-cold")
    before = snapshot(root.sessions, day_folders)

    with pytest.raises(ColdStorageError, match="refused the credentials .*check the cold storage's access key"):
        archive_day(DAY_KEY, day_folders, [], refused, POLICY, NOW)

    assert snapshot(root.sessions, day_folders) == before
    assert read_receipt(refused.store, DAY_KEY) is None
    accepted = archive_day(DAY_KEY, day_folders, [], tiers_for(root, keys["good"], "checked-cold"), POLICY, NOW)
    assert accepted.status == ARCHIVED  # the same endpoint takes the right key: it was the credentials

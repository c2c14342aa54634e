"""An erasure killed with SIGKILL at any step (or inside one: mid-upload, between publishing a rewritten export
and removing the old one), then run again, finishes, and leaves what an uninterrupted erasure leaves."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from dagster import DagsterInstance

from assets.kinds import INPUT_FOLDERS
from curata.archive import archive_day, inventory_table
from curata.archive.receipts import read_receipt
from curata.erasure.erase import erase_request
from curata.erasure.proof import remaining
from curata.erasure.requests import COMPLETED, erasure_health, new_request, read_request
from curata.export.versioned import latest_version
from curata.layout import DataRoot
from curata.sample.sessions import backdate, write_session
from curata.storage import S3Connection
from tests.archive_helpers import NOW, POLICY, tiers_for
from tests.conftest import DAY, KEY, PSEUDONYM_KEY, small_pair
from tests.dagster_helpers import definitions_for, warehouse_of
from tests.test_erasure_helpers import ANA, DAY_KEY, context, ingest_all, write_sessions

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[1]
BUCKET = f"curata-kill-{uuid.uuid4().hex[:8]}"

KILLED_RUN = """
import os, signal, sys
from pathlib import Path
from curata.erasure import datasets
from curata.archive import rewrite
from curata.archive.cold import ColdTier
from curata.erasure.context import ErasureContext
from curata.erasure.erase import erase_request
from curata.layout import DataRoot
from curata.privacy import PseudonymKey
from curata.sessions.validate import Limits
from curata.storage import S3Connection, Store

root, endpoint, bucket, request_id, kill_at, key = Path(sys.argv[1]), *sys.argv[2:]
s3 = S3Connection(endpoint_url=endpoint, region_name="us-east-1", access_key_id="test", secret_access_key="t")
cold = ColdTier(s3, bucket, "curata")
ctx = ErasureContext(Store.at(root), DataRoot(root), PseudonymKey(key.encode()), Limits(), cold=cold)
die = lambda *_: os.kill(os.getpid(), signal.SIGKILL)
if kill_at == "mid-upload":  # the new archive half sent
    read = rewrite.ChunkReader.read
    rewrite.ChunkReader.read = lambda self, n=-1: die() if self.size > 4096 else read(self, n)
if kill_at == "export-published":  # the rewritten version is out, the old one not yet removed
    real = datasets.rewrite_version
    datasets.rewrite_version = lambda *a, **k: (real(*a, **k), die())
hook = lambda step: die() if step == kill_at else None
erase_request(ctx, request_id, on_step=hook)
"""

KILL_POINTS = [
    "find",
    "tombstones",
    "hot_folders",
    "mid-upload",
    f"archive:{DAY_KEY}",
    "session_tables",
    "log_plan",
    "log_file",
    "export-published",
    "embedding_store",
    "indexes",
    "audit",
]


def connection(endpoint: str) -> S3Connection:
    return S3Connection(endpoint_url=endpoint, region_name="us-east-1", access_key_id="test", secret_access_key="t")


@pytest.fixture(scope="module")
def template(tmp_path_factory, s3_endpoint):
    """A store with everything (hot days, an archived day, embeddings, an export), and the bucket's objects."""
    root = DataRoot(tmp_path_factory.mktemp("template") / "data").create_inputs(INPUT_FOLDERS)

    def make_session(ts=DAY, seed=1, email="ana@example.com", instruction="make it modern farmhouse style"):
        files = write_session(root.sessions, ts, instruction, email, *small_pair(seed))
        backdate(files.folder, ts)
        return files

    world = write_sessions(root, make_session)
    s3 = connection(s3_endpoint)
    s3.client().create_bucket(Bucket=BUCKET)
    with pytest.MonkeyPatch.context() as monkeypatch:
        ingest_all(definitions_for(root, monkeypatch), DagsterInstance.ephemeral(), root, curation=False)
    tiers = tiers_for(root, s3, BUCKET)
    raw = warehouse_of(root).read("raw_sessions", DAY_KEY).column("session_folder").to_pylist()
    warehouse_of(root).write(
        "archive_inventory", inventory_table([archive_day(DAY_KEY, raw, [], tiers, POLICY, NOW).entry]), DAY_KEY
    )
    client = s3.client()
    objects = {
        o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
        for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]
    }
    return root, world, objects


def fresh_copy(template, tmp_path, s3: S3Connection) -> DataRoot:
    """The template's data root copied (times kept) and the bucket reset to the template's objects."""
    source, _, objects = template
    root = DataRoot(tmp_path / "data")
    shutil.copytree(source.root, root.root, copy_function=shutil.copy2, symlinks=True)
    client = s3.client()
    for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=o["Key"])
    for key, data in objects.items():
        client.put_object(Bucket=BUCKET, Key=key, Body=data)
    return root


COMPARED = (
    "raw_sessions",
    "validated_sessions",
    "session_quarantine",
    "session_people",
    "training_log_lines",
    "training_log_quarantine",
    "image_embeddings",
)


def outcome(root: DataRoot, s3: S3Connection) -> dict:
    """What an erasure leaves, in terms that do not depend on the request id or the time."""
    store, wh = context(root).store, warehouse_of(root)
    latest = latest_version(store, "edit_triplets")
    split = store.local_path(f"{latest.key}/data/train-00000-of-00001.parquet")
    return {
        "tables": {t: sorted(map(str, wh.read_all(t).to_pylist())) for t in COMPARED},
        "log": root.training_log.read_bytes(),
        "hot": sorted(p.name for p in root.sessions.iterdir()),
        "archived": read_receipt(store, DAY_KEY).folders,
        "objects": len(s3.client().list_objects_v2(Bucket=BUCKET).get("Contents", [])),
        "exported": sorted(pq.read_table(split, columns=["session_id"]).column("session_id").to_pylist()),
        "versions": len([n for n in store.children("exports/edit_triplets") if n.startswith("v")]),
    }


def start_request(root: DataRoot) -> str:
    key = PSEUDONYM_KEY
    return new_request(context(root).store, pseudonym=key.pseudonymize(ANA), key_id=key.key_id).id


@pytest.fixture(scope="module")
def uninterrupted(template, tmp_path_factory, s3_endpoint):
    s3 = connection(s3_endpoint)
    root = fresh_copy(template, tmp_path_factory.mktemp("clean"), s3)
    erase_request(context(root, cold=tiers_for(root, s3, BUCKET).cold), start_request(root))
    return outcome(root, s3)


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_a_run_killed_anywhere_is_finished_by_the_next(template, uninterrupted, tmp_path, s3_endpoint, kill_at):
    s3 = connection(s3_endpoint)
    root = fresh_copy(template, tmp_path, s3)
    request_id = start_request(root)

    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(root.root), s3_endpoint, BUCKET, request_id, kill_at, KEY.decode()],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    ctx = context(root, cold=tiers_for(root, s3, BUCKET).cold)
    assert read_request(ctx.store, request_id).status != COMPLETED
    assert erasure_health(ctx.store)["pending"] == [request_id]  # what the health report lists

    erase_request(ctx, request_id)

    assert read_request(ctx.store, request_id).status == COMPLETED
    assert remaining(ctx) == []
    assert outcome(root, s3) == uninterrupted

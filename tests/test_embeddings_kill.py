"""A run killed with SIGKILL at an arbitrary point, then re-run, leaves exactly the uninterrupted store."""

import json
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from curata.embeddings.store import EmbeddingStore
from curata.layout import EMBEDDINGS
from curata.storage import Store
from tests.embedding_helpers import TINY, write_images

pytestmark = pytest.mark.e2e


def run_embedder(data_root: Path, wanted_file: Path, throttle: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "curata.embeddings.run",
            "--data-root",
            str(data_root),
            "--architecture",
            TINY.architecture,
            "--batch-size",
            str(TINY.batch_size),
            "--wanted",
            str(wanted_file),
            "--throttle-seconds",
            str(throttle),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def store_content(data_root: Path) -> dict:
    store = EmbeddingStore(Store.at(data_root))
    (fp,) = store.fingerprints()
    return {s: store.read_shard(s).to_pylist() for s in store.shards(fp)}


def test_sigkill_midway_then_rerun_equals_an_uninterrupted_run(tmp_path):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    wanted = write_images(killed, 96)
    write_images(clean, 96)
    for root in (killed, clean):
        (root / "wanted.json").write_text(json.dumps([asdict(w) for w in wanted]))

    victim = run_embedder(killed, killed / "wanted.json", throttle=0.3)
    shard_dir = killed / EMBEDDINGS
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(shard_dir.rglob("shard-*.parquet"))) < 1:
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    written_before_kill = len(list(shard_dir.rglob("shard-*.parquet")))
    assert 1 <= written_before_kill < 3  # 96 images / (8 per batch x 4 batches per shard) = 3 shards

    resumed = run_embedder(killed, killed / "wanted.json")
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["already_stored"] == 32 * written_before_kill
    assert report["embedded"] == 96 - 32 * written_before_kill

    uninterrupted = run_embedder(clean, clean / "wanted.json")
    _, err = uninterrupted.communicate(timeout=300)
    assert uninterrupted.returncode == 0, err
    assert store_content(killed) == store_content(clean)
    assert not list(shard_dir.rglob("*.tmp"))

"""`curata run` tells a failed run in a line or two: the check, the partition and the first offending records."""

from __future__ import annotations

import shutil

import pytest

import cli
from curata.layout import DATA_ROOT_ENV, DataRoot
from curata.sample.sessions import generate_sessions
from curata.sessions import batch
from curata.storage import Store
from curata.warehouse import Warehouse
from tests.conftest import DAY, KEY, later

pytestmark = pytest.mark.e2e


def test_a_failed_blocking_check_is_one_line_naming_the_check_partition_and_records(
    root, make_session, tmp_path, monkeypatch, capsys
):
    sessions = [make_session(ts=later(i), seed=30 + i) for i in range(2)]
    real = batch.validate_partition

    def lossy(*args, **kwargs):  # drops the first accepted session: the day no longer reconciles
        result = real(*args, **kwargs)
        return batch.PartitionResult(result.accepted.slice(1), result.quarantined, result.deferred)

    monkeypatch.setattr("assets.sessions.validate_partition", lossy)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CURATA_PSEUDONYM_KEY", KEY.decode())
    monkeypatch.setenv(DATA_ROOT_ENV, str(root.root))
    assert cli.main(["--root", str(root.root), "run"]) == 1
    out = capsys.readouterr()
    failed = [line for line in out.out.splitlines() if "FAILED" in line]
    assert len(failed) == 1, out.out
    assert f"check reconciles_with_raw of validated_sessions [{DAY.date().isoformat()}] failed" in failed[0]
    assert sessions[0].folder.name in failed[0]
    assert "Traceback" not in out.out + out.err and "Stack Trace" not in out.out + out.err


def test_a_root_regenerated_with_the_same_folders_is_ingested_again(tmp_path, monkeypatch, capsys):
    """`curata demo` twice: the second root has the first one's folder names and times, and an empty warehouse."""
    root = DataRoot(tmp_path / "data")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CURATA_PSEUDONYM_KEY", KEY.decode())
    monkeypatch.setenv(DATA_ROOT_ENV, str(root.root))
    for _ in range(2):
        shutil.rmtree(root.root, ignore_errors=True)
        truth = generate_sessions(root, n_sessions=4, days=2, defect_rate=0.0, image_size=(96, 72))
        assert cli.main(["--root", str(root.root), "run"]) == 0
        accepted = Warehouse(Store.at(root.root)).read_all("validated_sessions")
        assert accepted.num_rows == truth.summary()["accepted"] > 0
        summary = capsys.readouterr().out.split("=== Curata summary ===")[1]  # each section's lines, then datasets
        assert f"Sessions: {truth.summary()['sessions']} folders -> {accepted.num_rows} accepted, " in summary
        assert "image_embeddings: " in summary and "edit_triplets: " in summary

"""Checks that must fail (a dropped record, a lost table); days in any order; deferred folders picked up later."""

import json
import os
import time
from datetime import timedelta

import pytest
from dagster import DagsterInstance
from datasets import load_dataset

from curata import rules
from curata.health import HEALTH_REPORT
from curata.layout import EXPORTS, REPORTS, WAREHOUSE
from curata.sessions import batch
from tests.conftest import DAY, later
from tests.dagster_helpers import check_results, definitions_for, ingest, materialized, publish, warehouse_of

DAY_KEY = DAY.date().isoformat()


def test_a_day_that_drops_a_record_is_left_out_and_the_other_days_publish(root, make_session, monkeypatch):
    days = [(DAY + timedelta(days=i)).date().isoformat() for i in range(3)]
    sessions = {
        day: [make_session(ts=DAY + timedelta(days=i, minutes=m), seed=10 + 3 * i + m) for m in range(2)]
        for i, day in enumerate(days)
    }
    broken = days[1]
    real = batch.validate_partition

    def lossy(sessions_dir, folders, partition, **kwargs):
        result = real(sessions_dir, folders, partition, **kwargs)
        if partition != broken:
            return result
        return batch.PartitionResult(result.accepted.slice(1), result.quarantined, result.deferred)

    monkeypatch.setattr("assets.sessions.validate_partition", lossy)
    defs = definitions_for(root, monkeypatch)
    instance = DagsterInstance.ephemeral()
    for day in days:
        result = ingest(defs, day, instance)
        assert check_results(result)["reconciles_with_raw"] is (day != broken)
        assert result.success is (day != broken)  # a failed blocking check fails that day's run

    published = publish(defs, instance)
    assert published.success and check_results(published)["every_partition_reconciles"] is False
    report = json.loads((root.root / REPORTS / "health-latest.json").read_text())
    dropped = sessions[broken][0].folder.name
    assert list(report["sessions"]["partitions_failing_reconciliation"]) == [broken]
    assert dropped in report["sessions"]["partitions_failing_reconciliation"][broken]
    (shown,) = published.asset_materializations_for_node(HEALTH_REPORT)
    counts = {key: report["sessions"][key] for key in ("accepted", "quarantined", "deferred")}
    assert {key: shown.metadata[key].value for key in counts} == counts and counts["accepted"] > 0

    (version,) = (root.root / EXPORTS / "edit_triplets").glob("v*")
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["source_partitions"]["validated_sessions"] == [days[0], days[2]]
    assert list(manifest["left_out_days"]) == [broken] and dropped in manifest["left_out_days"][broken]
    exported = {r["session_id"] for s in load_dataset(str(version)).values() for r in s.select_columns("session_id")}
    assert exported == {f.folder.name for day in (days[0], days[2]) for f in sessions[day]}
    card = (version / "README.md").read_text()
    assert f"`{broken}`: " in card and "left out until they are re-run" in card


def test_deferred_folder_is_picked_up_by_a_later_run(root, make_session, monkeypatch):
    make_session(ts=later(0), seed=1)
    pending = make_session(ts=later(5), seed=2, settled=False)
    defs = definitions_for(root, monkeypatch)
    instance = DagsterInstance.ephemeral()
    assert ingest(defs, DAY_KEY, instance).success
    store = warehouse_of(root)
    assert store.read("deferred_sessions", DAY_KEY).column("session_folder").to_pylist() == [pending.folder.name]
    assert store.read("validated_sessions", DAY_KEY).num_rows == 1

    old = time.time() - 3600
    for path in [*pending.folder.iterdir(), pending.folder]:
        os.utime(path, (old, old))
    assert ingest(defs, DAY_KEY, instance).success
    assert store.read("deferred_sessions", DAY_KEY).num_rows == 0
    assert store.read("validated_sessions", DAY_KEY).num_rows == 2


@pytest.mark.parametrize("order", ["later_day_first", "in_order"])
def test_days_ingested_in_any_order_keep_the_same_sessions_and_publish(root, make_session, monkeypatch, order):
    first = make_session(ts=DAY, seed=3)
    copy = make_session(ts=DAY + timedelta(days=1), seed=3)
    other = make_session(ts=DAY + timedelta(days=1, minutes=5), seed=4)
    assert first.original.read_bytes() == copy.original.read_bytes()
    later_day = (DAY + timedelta(days=1)).date().isoformat()
    days = [later_day, DAY_KEY] if order == "later_day_first" else [DAY_KEY, later_day]
    defs = definitions_for(root, monkeypatch)
    instance = DagsterInstance.ephemeral()
    for day in days:
        assert ingest(defs, day, instance).success
    store = warehouse_of(root)
    kept = {r["session_id"] for r in store.rows("validated_sessions")}
    assert kept == {first.folder.name, other.folder.name}
    (refused,) = store.read("session_quarantine", later_day).to_pylist()
    assert (refused["record_id"], refused["rule_id"]) == (copy.folder.name, rules.DUPLICATE_CONTENT.id)
    assert f"same images as {first.folder.name}" in refused["detail"]
    people = {p["session_folder"]: p["outcome"] for p in store.read("session_people", later_day).to_pylist()}
    assert people[copy.folder.name] == "quarantined"
    measured = {q["path"].split("/")[1] for q in store.read("session_image_quality", later_day).to_pylist()}
    assert measured == {other.folder.name}  # only the day's accepted sessions' images
    result = publish(defs, instance)
    assert result.success and "edit_triplets" in materialized(result)
    report = json.loads((root.root / REPORTS / "health-latest.json").read_text())
    assert report["sessions"]["repeated_across_partitions"] == {}
    assert report["sessions"]["partitions_failing_reconciliation"] == {}


@pytest.mark.parametrize("missing", ["session_quarantine", "deferred_sessions"])
def test_health_fails_when_an_outcome_table_is_lost(root, make_session, monkeypatch, missing):
    make_session()
    defs = definitions_for(root, monkeypatch)
    instance = DagsterInstance.ephemeral()
    assert ingest(defs, DAY_KEY, instance).success
    (root.root / WAREHOUSE / missing / f"{DAY_KEY}.parquet").unlink()
    result = defs.resolve_job_def("nightly_health").execute_in_process(instance=instance, raise_on_error=False)
    assert check_results(result)["every_partition_reconciles"] is False

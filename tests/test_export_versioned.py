"""The versioned writer every dataset shares: reuse, staging, concurrent publishes, the card header, S3."""

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from datasets import Features

from curata.export import parquet
from curata.export.edit_triplets import EDIT_TRIPLETS, export_edit_triplets, plan_edit_triplets
from curata.export.parquet import RowSource
from curata.export.verify import export_problems
from curata.export.versioned import (
    STAGING,
    ExportConflict,
    Provenance,
    content_digest,
    dataset_key,
    latest_version,
    publish_export,
    split_file,
)
from curata.storage import Store
from tests.test_export_support import context, sessions_table

PROVENANCE = Provenance({"validated_sessions": ["2025-01-15"]})
DATASET = dataset_key(EDIT_TRIPLETS.name)


@pytest.fixture
def sessions(bank):
    return sessions_table(bank, list(range(10)))


def versions(store: Store) -> list[str]:
    return [n for n in store.children(DATASET, hidden=True) if n.startswith("v")]


def staging(store: Store) -> list[str]:
    return [n for n in store.children(DATASET, hidden=True) if n.startswith(STAGING)]


def test_unchanged_content_is_reused_and_changed_content_is_a_new_version(bank, store, sessions):
    first = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    lookups = bank.lookups
    again = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    assert again.reused and again.key == first.key and not first.reused
    assert bank.lookups > lookups  # the digest covers the split, so vectors were read again, but nothing written
    smaller = export_edit_triplets(sessions.slice(0, 8), context(store, bank), PROVENANCE)
    assert not smaller.reused and smaller.key != first.key
    assert versions(store) == sorted([first.version, smaller.version])  # earlier versions are kept
    assert latest_version(store, EDIT_TRIPLETS.name).key == smaller.key
    back = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    assert not back.reused  # compared with the latest version only: the content went back, a new version records it


def test_a_killed_runs_staging_is_cleared_but_a_running_ones_is_left(bank, store, sessions):
    now = datetime.now(UTC)
    killed = f"{STAGING}{now - timedelta(days=2):%Y%m%dT%H%M%S%fZ}-dead"
    running = f"{STAGING}{now - timedelta(minutes=5):%Y%m%dT%H%M%S%fZ}-alive"
    for name in (killed, running, ".staging-not-ours"):
        store.write_text(f"{DATASET}/{name}/data/part.parquet", "partial")
    export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    assert sorted(staging(store)) == sorted([running, ".staging-not-ours"])


def test_a_failed_export_removes_its_own_staging_only(bank, store, sessions):
    store.write_text(f"{DATASET}/{STAGING}{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-other/x", "another run's")
    plan = plan_edit_triplets(sessions, context(store, bank))

    def failing(rows):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        publish_export(store, EDIT_TRIPLETS, replace(plan, materialize=failing), PROVENANCE)
    assert len(staging(store)) == 1 and versions(store) == []


@pytest.mark.parametrize("same_content", [True, False])
def test_two_concurrent_publishes_both_succeed_and_nothing_is_lost(bank, store, sessions, same_content):
    """Both runs pass the reuse check before either publishes, and both aim at the same second."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ctx = context(store, bank, **({} if same_content else {"validation_fraction": 0.3}))
    plans = [plan_edit_triplets(sessions, context(store, bank)), plan_edit_triplets(sessions, ctx)]
    both_written = threading.Barrier(2)

    def run(plan, out):
        waited = []

        def materialize(rows):
            if not waited:  # neither run publishes before the other has started writing
                waited.append(both_written.wait(timeout=30))
            return plan.materialize(rows)

        out.append(publish_export(store, EDIT_TRIPLETS, replace(plan, materialize=materialize), PROVENANCE, now=now))

    results: list = []
    threads = [threading.Thread(target=run, args=(p, results)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2
    assert staging(store) == []
    assert len(versions(store)) == (1 if same_content else 2)
    assert sorted(r.reused for r in results) == ([False, True] if same_content else [False, False])
    for result in results:
        assert export_problems(store, result.key) == []


def test_card_header_is_what_datasets_reads(bank, store, sessions):
    result = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    card = store.read_text(f"{result.key}/README.md")
    header = yaml.safe_load(card.split("---\n")[1])
    info = header["dataset_info"]
    with store.open(f"{result.key}/{split_file('train')}") as handle:
        schema = pq.read_schema(handle)
    assert Features._from_yaml_list(info["features"]) == Features.from_arrow_schema(schema)
    assert {s["name"]: s["num_examples"] for s in info["splits"]} == {s: n for s, n in result.rows.items() if n}
    assert info["download_size"] == sum(f["bytes"] for f in result.manifest["files"].values())
    assert [f["split"] for f in header["configs"][0]["data_files"]] == [s["name"] for s in info["splits"]]


def test_parquet_is_written_in_row_groups(bank, store, sessions, monkeypatch):
    monkeypatch.setattr(parquet, "CHUNK_ROWS", 2)
    monkeypatch.setattr(parquet, "ROW_GROUP_BYTES", 1)  # close a row group after every chunk
    result = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    with store.open(f"{result.key}/{split_file('train')}") as handle:
        meta = pq.ParquetFile(handle).metadata
    assert meta.num_row_groups == -(-result.rows["train"] // 2) > 1


def test_export_to_an_s3_store(bank, sessions, s3, bucket):
    store = Store.at(f"s3://{bucket}/curata", s3)
    result = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    assert export_problems(store, result.key) == []
    assert store.is_file(f"{result.key}/README.md") and staging(store) == []
    with store.open(f"{result.key}/{split_file('train')}") as handle:
        assert pq.read_table(handle).num_rows == result.rows["train"]
    assert export_edit_triplets(sessions, context(store, bank), PROVENANCE).reused


def test_a_clash_with_other_content_fails_clearly_and_loses_nothing(bank, store, sessions):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    plan = plan_edit_triplets(sessions, context(store, bank))
    final = f"{DATASET}/v{now:%Y%m%dT%H%M%S%fZ}-{content_digest(EDIT_TRIPLETS, plan)[:12]}"
    store.write_text(f"{final}/manifest.json", '{"content_digest": "other", "rows": {}, "dataset": "edit_triplets"}')
    with pytest.raises(ExportConflict, match="published by another run with other content.*run the export again"):
        publish_export(store, EDIT_TRIPLETS, plan, PROVENANCE, now=now)
    assert store.read_text(f"{final}/manifest.json").startswith('{"content_digest": "other"')
    assert staging(store) == []


def test_rows_are_taken_in_the_asked_order_across_chunks():
    table = pa.concat_tables([pa.table({"i": list(range(k, k + 5))}) for k in (0, 5, 10)])
    indices = np.array([12, 0, 7, 3, 14, 5])
    assert RowSource(table).take(indices).column("i").to_pylist() == [12, 0, 7, 3, 14, 5]

"""The generated root through the real jobs: outcomes match the ground truth record by record."""

import json

from dagster import DagsterInstance
from datasets import load_dataset

from curata.layout import EXPORTS, REPORTS
from curata.sample.compare import ground_truth_mismatches
from curata.sample.sessions import generate_sessions
from curata.sessions.inventory import list_session_folders
from curata.sessions.validate import DEFAULT_LIMITS
from tests.dagster_helpers import check_results, definitions_for, ingest, publish, warehouse_of


def test_generated_root_matches_ground_truth_exactly(root, monkeypatch):
    truth = generate_sessions(root, n_sessions=44, days=3, defect_rate=0.5, image_size=(192, 144), workers=2)
    assert {s.defect for s in truth.sessions if s.defect} >= {"duplicate_content", "in_progress", "symlink_out"}
    defs = definitions_for(root, monkeypatch)
    instance = DagsterInstance.ephemeral()
    folders = list_session_folders(root.sessions, DEFAULT_LIMITS.max_metadata_bytes)
    for day in sorted({f.partition_date for f in folders}):
        result = ingest(defs, day, instance)
        assert result.success
        assert all(check_results(result).values()), check_results(result)
    result = publish(defs, instance)
    assert result.success
    checks = check_results(result)
    assert all(checks.values()), checks
    assert {"log_lines_reconcile", "every_partition_reconciles", "every_folder_ingested"} <= set(checks)
    assert {"every_image_embedded", "export_matches_manifest", "splits_do_not_leak"} <= set(checks)
    assert ground_truth_mismatches(root.ground_truth / "sessions.json", warehouse_of(root)) == []

    report = json.loads((root.root / REPORTS / "health-latest.json").read_text())
    summary = truth.summary()
    assert report["sessions"]["quarantined_by_rule"] == summary["quarantined_by_rule"]
    assert report["sessions"]["accepted"] == summary["accepted"]
    assert (
        (root.root / REPORTS / f"health-{report['generated_at'][:10]}.txt").read_text().startswith("=== TRAINING DATA")
    )

    export = next((root.root / EXPORTS / "edit_triplets").glob("v*"))
    ds = load_dataset(str(export))
    assert sum(split.num_rows for split in ds.values()) == summary["accepted"]

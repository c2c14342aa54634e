"""The curation asset through Dagster: checks pass on the generated logs and fail on a dropped row."""

import json

import pytest
from dagster import DagsterInstance, materialize

from assets.curation import curation_outcomes
from curata.curation import logs
from curata.curation.health import curation_health
from curata.sample.compare import curation_mismatches
from curata.sample.curation import generate_curation
from tests.dagster_helpers import check_results, resources_for, warehouse_of


@pytest.fixture
def curation_root(root):
    generate_curation(root, n_sets=21, image_size=(80, 60))
    return root


def run(root):
    return materialize(
        [curation_outcomes],
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
        resources=resources_for(root),
    )


def test_generated_logs_pass_every_check_and_match_the_ground_truth(curation_root):
    result = run(curation_root)
    assert result.success
    assert check_results(result) == {
        "logs_reconcile": True,
        "crops_are_sound": True,
        "paths_share_one_format": True,
        "quarantine_rows_actionable": True,
    }
    wh = warehouse_of(curation_root)
    assert curation_mismatches(curation_root.ground_truth / "curation.json", wh) == []
    truth = json.loads((curation_root.ground_truth / "curation.json").read_text())["summary"]
    health = curation_health(
        *(wh.read_all(t) for t in ("validated_selections", "validated_crops", "curation_quarantine"))
    )
    for log, expected in truth.items():
        assert health[log]["rows"] == expected["rows"]
        assert health[log]["accepted"] == expected["accepted"]
        assert health[log]["recovered"] == expected["recovered"]
        assert health[log]["quarantined_by_rule"] == expected["quarantined_by_rule"]


def test_a_dropped_row_fails_reconciliation(curation_root, monkeypatch):
    real = logs.validate_log

    def lossy(*args, **kwargs):
        result = real(*args, **kwargs)
        return logs.LogResult(result.accepted.slice(1), result.quarantined)

    monkeypatch.setattr("assets.curation.validate_log", lossy)
    result = run(curation_root)
    assert check_results(result)["logs_reconcile"] is False
    assert not result.success

"""Readiness per dataset: a score out of 100 from its parts, ready or not, and why not."""

import pytest

from curata.export.edit_triplets import export_edit_triplets
from curata.export.readiness import WEIGHTS, ReadinessSettings, readiness
from curata.export.versioned import Provenance
from curata.storage import Store
from tests.test_export_support import ImageBank, context, sessions_table


def manifest(train: int, validation: int, test: int, accepted: int, quarantined: int) -> dict:
    return {
        "dataset": "preference_pairs",
        "rows": {"train": train, "validation": validation, "test": test},
        "accepted_records": accepted,
        "quarantined_records": quarantined,
    }


def test_a_dataset_over_every_threshold_is_ready_with_full_marks():
    r = readiness(manifest(50, 6, 6, accepted=40, quarantined=10), ReadinessSettings())
    assert r.is_ready and r.score == 100 and r.reason == ""
    assert {name: part["points"] for name, part in r.parts.items()} == WEIGHTS


def test_too_few_examples_is_not_ready_and_says_why():
    r = readiness(manifest(20, 2, 2, accepted=20, quarantined=20), ReadinessSettings())
    assert not r.is_ready
    assert r.parts["examples"] == {"value": 20, "threshold": 50, "points": 16.0, "of": 40}
    assert r.score == pytest.approx(16 + 25 * 20 / 30 + 20 + 15 * 4 / 10, abs=0.2)
    assert "examples 20 < 50" in r.reason and "accepted_records 20 < 30" in r.reason
    assert "score" in r.reason  # the score is under 70 too


def test_thresholds_are_settings():
    small = manifest(20, 2, 2, accepted=20, quarantined=2)
    assert not readiness(small, ReadinessSettings()).is_ready
    lenient = ReadinessSettings(min_examples=20, min_accepted_records=20, min_held_out_examples=4)
    assert readiness(small, lenient).is_ready
    assert "acceptance_rate 0.40 < 0.50" in readiness(manifest(60, 10, 10, 40, 60), ReadinessSettings()).reason


def test_readiness_of_a_published_export(tmp_path):
    bank = ImageBank(tmp_path / "data")
    result = export_edit_triplets(
        sessions_table(bank, list(range(12))),
        context(Store.at(tmp_path / "out"), bank),
        Provenance({"validated_sessions": ["2025-01-15"]}, {"session.field_missing": 3}),
    )
    r = readiness(result.manifest, ReadinessSettings())
    assert r.dataset == "edit_triplets" and not r.is_ready
    assert r.parts["examples"]["value"] == result.rows.get("train", 0) < 12
    assert r.parts["acceptance_rate"]["value"] == pytest.approx(12 / 15)
    assert r.reason.startswith(f"examples {result.rows.get('train', 0)} < 50")


def test_examples_held_out_are_not_examples_to_train_on():
    r = readiness(manifest(0, 30, 30, accepted=60, quarantined=0), ReadinessSettings())
    assert not r.is_ready and r.parts["examples"]["value"] == 0 and "examples 0 < 50" in r.reason

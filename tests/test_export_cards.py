"""Every version of every export that a full run publishes has a dataset card and a manifest."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
import yaml
from datasets import load_dataset

from curata.export.versioned import CARD, MANIFEST
from curata.layout import EXPORTS

if TYPE_CHECKING:
    from tests.browser import Materialized

pytest_plugins = ["tests.browser"]  # `materialized`: every job of `curata demo` ran once on a small sample
pytestmark = pytest.mark.e2e


def test_every_export_version_has_a_card_and_a_manifest(materialized: Materialized):
    versions = sorted(v for v in (materialized.root.root / EXPORTS).glob("*/v*") if v.is_dir())
    datasets = {v.parent.name for v in versions}
    assert {"edit_triplets", "preference_pairs", "crop_boxes", "library_patterns"} <= datasets, datasets
    for version in versions:
        manifest = json.loads((version / MANIFEST).read_text())
        assert manifest["dataset"] == version.parent.name and manifest["version"] == version.name
        card = (version / CARD).read_text()
        header = yaml.safe_load(card.split("---\n")[1])
        assert header["configs"] and f"Version `{version.name}`" in card, version


def test_the_library_bundle_loads_one_table_per_config(materialized: Materialized):
    (version,) = sorted((materialized.root.root / EXPORTS / "library_patterns").glob("v*"))[-1:]
    manifest = json.loads((version / MANIFEST).read_text())
    header = yaml.safe_load((version / CARD).read_text().split("---\n")[1])
    assert {c["config_name"] for c in header["configs"]} == set(manifest["rows"])
    counts = load_dataset(str(version), "library_tag_counts")
    assert counts["train"].num_rows == manifest["rows"]["library_tag_counts"] > 0

"""Every version of every export that a full run publishes has a dataset card and a manifest."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
import yaml
from datasets import load_dataset

from curata.export.versioned import CARD, LATEST, MANIFEST
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


def test_each_dataset_folder_loads_its_latest_version_only(materialized: Materialized):
    for folder in sorted(p for p in (materialized.root.root / EXPORTS).iterdir() if p.is_dir()):
        latest = sorted(v.name for v in folder.glob("v*") if (v / MANIFEST).exists())[-1]
        assert (folder / LATEST).read_text().strip() == latest, folder
        header = yaml.safe_load((folder / CARD).read_text().split("---\n")[1])
        paths = [f["path"] for c in header["configs"] for f in c["data_files"]]
        assert paths and all(p.startswith(f"{latest}/") for p in paths), folder
        manifest = json.loads((folder / latest / MANIFEST).read_text())
        for config in header["configs"]:
            ds = load_dataset(str(folder), config["config_name"])
            rows = sum(split.num_rows for split in ds.values())
            expected = (
                manifest["rows"] if config["config_name"] == "default" else manifest["rows"][config["config_name"]]
            )
            assert rows == (sum(expected.values()) if isinstance(expected, dict) else expected), folder

"""The edit-triplet export, loaded back with the real Hugging Face `datasets` library."""

import json
from datetime import timedelta

import pytest
from datasets import load_dataset

from curata.export.edit_triplets import SourceChanged, export_edit_triplets, split_of
from curata.export.verify import export_problems
from curata.layout import EXPORTS
from curata.sessions.batch import validate_partition
from tests.conftest import DAY, PSEUDONYM_KEY


@pytest.fixture
def accepted(root, make_session):
    """Twelve sessions; sessions 0-3 share one original photo, so they must share a split."""
    for i in range(12):
        files = make_session(ts=DAY + timedelta(minutes=i), seed=100 + i, instruction=f"style {i}")
        if i < 4:
            first = root.sessions / sorted(p.name for p in root.sessions.iterdir())[0]
            data = next(first.glob("original-*")).read_bytes()
            files.replace_image(files.original, data, "originalSize")
    from curata.sample.sessions import backdate

    for folder in root.sessions.iterdir():
        backdate(folder, DAY)
    names = sorted(p.name for p in root.sessions.iterdir())
    result = validate_partition(
        root.sessions, names, "2025-01-15", data_root=root.root, key=PSEUDONYM_KEY, accepted_elsewhere=[]
    )
    assert result.accepted.num_rows == 12, result.quarantined.to_pylist()
    return result.accepted


def export(root, table, **kw):
    return export_edit_triplets(
        table, data_root=root.root, exports_dir=(root.root / EXPORTS), source_partitions=["2025-01-15"], **kw
    )


def test_export_loads_with_datasets_and_decodes_images(root, accepted):
    result = export(root, accepted, validation_fraction=0.3)
    ds = load_dataset(str(result.folder))
    assert set(ds) == {"train", "validation"}
    assert ds["train"].num_rows + ds["validation"].num_rows == 12
    row = ds["train"][0]
    assert row["input_image"].size == (160, 120) and row["edited_image"].size == (160, 120)
    assert row["edit_prompt"].startswith("style")
    assert {"input_image", "edit_prompt", "edited_image", "session_id", "original_sha256"} <= set(row)
    files = {s: str(result.folder / f"data/{s}-00000-of-00001.parquet") for s in ("train", "validation")}
    assert load_dataset("parquet", data_files=files)["train"].num_rows == ds["train"].num_rows


def test_manifest_records_counts_hashes_partitions_and_code_version(root, accepted):
    result = export(root, accepted)
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert sum(manifest["rows"].values()) == 12
    assert manifest["source_partitions"] == ["2025-01-15"]
    assert manifest["code_version"].startswith("0.1.0")
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    assert export_problems(result.folder) == []


def test_one_photo_never_lands_in_two_splits(root, accepted):
    result = export(root, accepted, validation_fraction=0.5)
    assert export_problems(result.folder) == []
    originals = accepted.column("original_sha256").to_pylist()
    assert len({split_of(h, 0.5) for h in originals[:4]}) == 1


def test_unchanged_content_reuses_the_version_and_leftover_staging_is_cleared(root, accepted):
    first = export(root, accepted)
    ((root.root / EXPORTS) / "edit_triplets" / ".staging-killed-run").mkdir()
    again = export(root, accepted)
    assert again.reused and again.folder == first.folder
    smaller = export(root, accepted.slice(0, 10))
    assert not smaller.reused and smaller.folder != first.folder
    assert not list(((root.root / EXPORTS) / "edit_triplets").glob(".staging-*"))
    assert (first.folder / "manifest.json").exists()  # earlier versions are kept


def test_tampered_export_is_detected(root, accepted):
    result = export(root, accepted)
    target = result.folder / "data/train-00000-of-00001.parquet"
    target.write_bytes(target.read_bytes()[:-10] + b"0123456789")
    assert any("sha256" in p for p in export_problems(result.folder))


def test_image_changed_after_validation_stops_the_export(root, accepted):
    path = root.root / accepted.column("edited_path")[0].as_py()
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(SourceChanged):
        export(root, accepted)
    assert not list(((root.root / EXPORTS) / "edit_triplets").glob("v*"))

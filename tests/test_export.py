"""The edit-triplet export, loaded back with the real Hugging Face `datasets` and fed through the
InstructPix2Pix training script's own data path."""

import io
import json

import numpy as np
import pytest
import torch
from datasets import load_dataset
from PIL import Image
from torchvision import transforms

from curata.export.edit_triplets import export_edit_triplets
from curata.export.inputs import SourceChanged
from curata.export.verify import export_problems
from curata.export.versioned import Provenance
from curata.sample.scenes import jpeg_bytes, render_house
from tests.test_export_support import SIZE, context, sessions_table

PROVENANCE = Provenance({"validated_sessions": ["2025-01-15"]}, {"session.field_missing": 2, "image.truncated": 1})
RESOLUTION = 64


@pytest.fixture
def sessions(bank):
    """Twelve sessions; sessions 0-3 share one original photo, so they must share a split."""
    shared = jpeg_bytes(render_house(1000, SIZE))
    return sessions_table(bank, list(range(12)), originals={i: shared for i in range(4)})


def test_export_loads_with_datasets_and_decodes_images(bank, store, sessions):
    result = export_edit_triplets(
        sessions, context(store, bank, validation_fraction=0.3, test_fraction=0.2), PROVENANCE
    )
    ds = load_dataset(str(store.local_path(result.key)))
    assert sum(ds[s].num_rows for s in ds) == 12
    assert {s: ds[s].num_rows for s in ds} == {s: n for s, n in result.rows.items() if n}
    row = ds["train"][0]
    assert isinstance(row["input_image"], Image.Image) and row["input_image"].size == SIZE
    assert isinstance(row["edited_image"], Image.Image)
    assert ds["train"].column_names[:3] == ["input_image", "edit_prompt", "edited_image"]


def test_instruct_pix2pix_data_path_reads_the_default_columns(bank, store, sessions):
    """train_instruct_pix2pix.py: load_dataset(--dataset_name)["train"], default column names, its preprocessing."""
    result = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    train = load_dataset(str(store.local_path(result.key)))["train"]
    original_column, edit_prompt_column, edited_column = "input_image", "edit_prompt", "edited_image"
    train_transforms = transforms.Compose([transforms.CenterCrop(RESOLUTION), transforms.Lambda(lambda x: x)])

    def convert_to_np(image, resolution):
        return np.array(image.convert("RGB").resize((resolution, resolution))).transpose(2, 0, 1)

    def preprocess_train(examples):
        originals = np.concatenate([convert_to_np(image, RESOLUTION) for image in examples[original_column]])
        editeds = np.concatenate([convert_to_np(image, RESOLUTION) for image in examples[edited_column]])
        images = train_transforms(2 * (torch.tensor(np.concatenate([originals, editeds])) / 255) - 1)
        original_images, edited_images = images.chunk(2)
        examples["original_pixel_values"] = original_images.reshape(-1, 3, RESOLUTION, RESOLUTION)
        examples["edited_pixel_values"] = edited_images.reshape(-1, 3, RESOLUTION, RESOLUTION)
        return examples

    batch = train.with_transform(preprocess_train)[: train.num_rows]
    by_session = {r["session_id"]: r for r in sessions.to_pylist()}
    for i, session_id in enumerate(batch["session_id"]):
        source = by_session[session_id]
        expected_original = (
            2 * (torch.tensor(convert_to_np(bank.image(source["original_sha256"]), RESOLUTION)) / 255) - 1
        )
        expected_edited = 2 * (torch.tensor(convert_to_np(bank.image(source["edited_sha256"]), RESOLUTION)) / 255) - 1
        assert torch.equal(batch["original_pixel_values"][i], expected_original)
        assert torch.equal(batch["edited_pixel_values"][i], expected_edited)
        assert batch[edit_prompt_column][i] == source["instruction"]


def test_manifest_and_card(bank, store, sessions):
    result = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    manifest = json.loads(store.read_text(f"{result.key}/manifest.json"))
    assert sum(manifest["rows"].values()) == 12 and manifest["accepted_records"] == 12
    assert manifest["quarantined_records"] == 3 and manifest["quarantine_by_rule"]["image.truncated"] == 1
    assert manifest["source_partitions"] == {"validated_sessions": ["2025-01-15"]}
    assert manifest["code_version"].startswith("0.1.0")
    assert all(len(f["sha256"]) == 64 and f["bytes"] > 0 for f in manifest["files"].values())
    assert sum(f["rows"] for f in manifest["files"].values()) == 12
    assert export_problems(store, result.key) == []
    card = store.read_text(f"{result.key}/README.md")
    assert "`session.field_missing` | 2 |" in card and "`image.truncated` | 1 |" in card
    assert "`session.instruction_empty`" in card  # a rule every record had to pass
    assert "train_instruct_pix2pix.py" in card and "cosine similarity of at least 0.95" in card


def test_one_photo_never_lands_in_two_splits(bank, store, sessions):
    result = export_edit_triplets(
        sessions, context(store, bank, validation_fraction=0.4, test_fraction=0.4), PROVENANCE
    )
    ds = load_dataset(str(store.local_path(result.key)))
    shared = sessions.column("original_sha256")[0].as_py()
    holders = {s: ds[s]["original_sha256"].count(shared) for s in ds if shared in ds[s]["original_sha256"]}
    assert list(holders.values()) == [4]  # all four sessions of the photo, in one split
    assert len(ds) >= 2  # while the other sessions did spread over the splits


def test_tampered_export_is_detected(bank, store, sessions):
    result = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    key = f"{result.key}/data/train-00000-of-00001.parquet"
    store.write_bytes(key, store.read_bytes(key)[:-10] + b"0123456789")
    assert any("sha256" in p for p in export_problems(store, result.key))


def test_image_changed_after_validation_stops_the_export(bank, store, sessions):
    path = bank.root / sessions.column("edited_path")[5].as_py()
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(SourceChanged, match="re-materialize validated_sessions"):
        export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    assert store.children("exports/edit_triplets", hidden=True) == []  # no version, no staging left


def test_image_bytes_are_the_files_bytes(bank, store, sessions):
    result = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    ds = load_dataset(str(store.local_path(result.key)))["train"].cast_column("input_image", _undecoded())
    row = ds[0]
    assert row["input_image"]["bytes"] == bank.data[row["original_sha256"]]
    assert Image.open(io.BytesIO(row["input_image"]["bytes"])).format == "JPEG"


def _undecoded():
    from datasets import Image as ImageFeature

    return ImageFeature(decode=False)

"""The preference export, loaded with `datasets` and fed through diffusers' Diffusion-DPO data path."""

import io
import json
from dataclasses import replace

import pyarrow as pa
import pytest
import torch
from datasets import load_dataset
from PIL import Image
from torchvision import transforms

from curata.export.preference_pairs import PAIR_ORDER_SEED, export_preference_pairs, pair_order
from curata.export.verify import export_problems
from curata.export.versioned import Provenance
from tests.test_export_support import FINGERPRINT, context, historical_table, selections_table

PROVENANCE = Provenance(
    {"historical_pairs": ["mojo", "other"], "validated_selections": ["_all"]}, {"project.stray_file": 3}
)
RESOLUTION = 64


@pytest.fixture
def sources(bank):
    historical = pa.concat_tables(
        [historical_table(bank, "mojo", 6), historical_table(bank, "other", 4, seed=1, chosen_stage=3)]
    )
    return historical, selections_table(bank, 8)


def source_pairs(historical, selections) -> set[tuple[str, str]]:
    chosen, rejected = historical.column("chosen_sha256").to_pylist(), historical.column("rejected_sha256").to_pylist()
    pairs = set(zip(chosen, rejected, strict=True))
    for s in selections.to_pylist():
        pairs |= {(s["chosen_sha256"], r) for r in s["rejected_sha256"]}
    return pairs


def exported(store, result):
    return load_dataset(str(store.local_path(result.key)))


def test_loads_with_datasets_and_the_image_bytes_open_with_pillow(bank, store, sources):
    result = export_preference_pairs(*sources, context(store, bank), PROVENANCE)
    ds = exported(store, result)
    rows = [r for split in ds for r in ds[split]]
    assert len(rows) == len(source_pairs(*sources)) == 10 * 2 + 8 * 2
    for row in rows:
        assert Image.open(io.BytesIO(row["jpg_0"])).size == Image.open(io.BytesIO(row["jpg_1"])).size
        assert {row["label_0"], row["label_1"]} == {0.0, 1.0}  # one preferred, no ties
        assert row["image_0_uid"] != row["image_1_uid"]
        assert row["clip_0"] == pytest.approx(bank.vectors_for([row["image_0_uid"]])[row["image_0_uid"]], abs=1e-6)
        assert row["embedding_fingerprint"] == FINGERPRINT
    assert export_problems(store, result.key) == []


def test_dpo_data_path_puts_the_preferred_image_first(bank, store, sources):
    """train_diffusion_dpo.py's preprocess_train: open jpg_0/jpg_1, transform, swap when label_0 == 0."""
    result = export_preference_pairs(*sources, context(store, bank), PROVENANCE)
    train_transforms = transforms.Compose(
        [
            transforms.Resize(RESOLUTION, interpolation=transforms.InterpolationMode.BILINEAR),
            transforms.CenterCrop(RESOLUTION),
            transforms.Lambda(lambda x: x),  # --no_hflip, so the comparison below is exact
            transforms.ToTensor(),
            transforms.Normalize([0.5], [0.5]),
        ]
    )

    def preprocess_train(examples):
        all_pixel_values = []
        for col_name in ["jpg_0", "jpg_1"]:
            images = [Image.open(io.BytesIO(im_bytes)).convert("RGB") for im_bytes in examples[col_name]]
            all_pixel_values.append([train_transforms(image) for image in images])
        combined_pixel_values = []
        for im_tup, label_0 in zip(zip(*all_pixel_values, strict=True), examples["label_0"], strict=True):
            if label_0 == 0:
                im_tup = im_tup[::-1]
            combined_pixel_values.append(torch.cat(im_tup, dim=0))
        examples["pixel_values"] = combined_pixel_values
        return examples

    ds = exported(store, result)
    seen = set()
    for split in ds:
        batch = ds[split].with_transform(preprocess_train)[: ds[split].num_rows]
        for pixels, best, first, second in zip(
            batch["pixel_values"], batch["best_image_uid"], batch["image_0_uid"], batch["image_1_uid"], strict=True
        ):
            other = second if best == first else first
            assert torch.equal(pixels[:3], train_transforms(bank.image(best).convert("RGB")))
            assert torch.equal(pixels[3:], train_transforms(bank.image(other).convert("RGB")))
            seen.add((best, other))
    assert seen == source_pairs(*sources)


def test_which_image_comes_first_does_not_depend_on_which_won(bank, store, sources):
    a, b = "a" * 64, "b" * 64
    assert pair_order(a, b) == pair_order(b, a)
    assert pair_order(a, b, seed="another seed") in {(a, b), (b, a)}
    result = export_preference_pairs(*sources, context(store, bank), PROVENANCE)
    labels = [r["label_0"] for split in exported(store, result).values() for r in split]
    assert 0.0 in labels and 1.0 in labels
    assert 0.25 <= sum(labels) / len(labels) <= 0.75
    assert result.manifest["pair_order_seed"] == PAIR_ORDER_SEED


def test_every_pair_is_exported_or_left_out_with_its_reason(bank, store, sources):
    historical, selections = sources
    rows = historical.to_pylist()
    rows[0]["rejected_sha256"], rows[0]["rejected_path"] = rows[0]["chosen_sha256"], rows[0]["chosen_path"]
    del bank.data[rows[5]["rejected_sha256"]]  # no vector for this image (nor for the other pair that has it)
    historical = pa.Table.from_pylist(rows, schema=historical.schema)
    result = export_preference_pairs(historical, selections, context(store, bank), PROVENANCE)
    left_out = result.manifest["left_out"]
    assert len(left_out["identical_images"]) == 1 and left_out["identical_images"][0].startswith("mojo/")
    assert len(left_out["without_vectors"]) == 1
    assert sum(result.rows.values()) + 2 == historical.num_rows + 2 * selections.num_rows


def test_caption_only_where_the_source_has_one(bank, store, sources):
    historical, selections = sources
    prompts = ["a red door" if i % 2 else "" for i in range(selections.num_rows)]
    selections = selections.append_column("prompt", pa.array(prompts))
    result = export_preference_pairs(historical, selections, context(store, bank), PROVENANCE)
    rows = [r for split in exported(store, result).values() for r in split]
    captioned = [r for r in rows if r["has_caption"]]
    assert len(captioned) == 2 * prompts.count("a red door") == 8
    assert all(r["caption"] == "a red door" and r["source"] == "selection" for r in captioned)
    assert all(r["caption"] == "" for r in rows if not r["has_caption"])
    assert all(r["caption_source"] == "source:prompt" for r in captioned)
    assert all(r["caption_source"] == "" for r in rows if not r["has_caption"])
    assert result.manifest["captions"] == {
        "with_caption": 8,
        "without_caption": len(rows) - 8,
        "by_source": {"source:prompt": 8},
    }
    assert "8 rows have a caption" in store.read_text(f"{result.key}/README.md")


def test_captions_recovered_from_the_image_files_with_their_source(bank, store, sources):
    historical, selections = sources
    chosen = selections.to_pylist()[0]
    (bank.root / chosen["chosen_path"]).with_suffix(".txt").write_text("a blue door\n")
    rejected = historical.to_pylist()[0]  # its chosen image has none: the rejected one's caption is used
    (bank.root / rejected["rejected_path"]).with_suffix(".json").write_text('{"prompt": "a green roof"}')
    result = export_preference_pairs(historical, selections, context(store, bank), PROVENANCE)
    rows = [r for split in exported(store, result).values() for r in split]
    found = sorted((r["record_id"], r["caption"], r["caption_source"]) for r in rows if r["has_caption"])
    assert found == sorted(
        [(chosen["record_id"], "a blue door", "sidecar:txt")] * len(chosen["rejected_sha256"])
        + [(f"{rejected['project']}/{rejected['group_key']}", "a green roof", "sidecar:json")]
    )
    assert result.manifest["captions"]["by_source"] == {"sidecar:json": 1, "sidecar:txt": 2}
    assert "By source: `sidecar:json` 1, `sidecar:txt` 2." in store.read_text(f"{result.key}/README.md")


def test_provenance_of_both_sources(bank, store, sources):
    result = export_preference_pairs(*sources, context(store, bank), PROVENANCE)
    rows = [r for split in exported(store, result).values() for r in split]
    historical = [r for r in rows if r["source"] == "historical"]
    assert {r["project"] for r in historical} == {"mojo", "other"}
    assert all(r["group_id"].startswith(r["project"] + "/") and r["session_id"] is None for r in historical)
    for r in historical:
        chosen_stage, rejected_stage = (r["stage_0"], r["stage_1"]) if r["label_0"] else (r["stage_1"], r["stage_0"])
        assert r["anomaly"] == (chosen_stage < rejected_stage)
    assert any(r["anomaly"] for r in historical) and not all(r["anomaly"] for r in historical)
    selection = [r for r in rows if r["source"] == "selection"]
    assert all(r["session_id"] and r["group_id"].startswith("set_") and r["stage_0"] is None for r in selection)
    manifest = json.loads(store.read_text(f"{result.key}/manifest.json"))
    assert manifest["embedding_fingerprint"] == FINGERPRINT and manifest["accepted_records"] == 10 + 8


def test_vectors_of_another_model_make_a_new_version(bank, store, sources):
    first = export_preference_pairs(*sources, context(store, bank), PROVENANCE)
    assert export_preference_pairs(*sources, context(store, bank), PROVENANCE).reused
    other_model = replace(context(store, bank), embedding_fingerprint="another-model")
    second = export_preference_pairs(*sources, other_model, PROVENANCE)
    assert not second.reused and second.key != first.key
    assert second.manifest["embedding_fingerprint"] == "another-model"

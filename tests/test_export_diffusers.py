"""Both diffusers examples' data loading and preprocessing, on every published version and on the dataset's
folder (the latest): train_instruct_pix2pix.py on edit_triplets, train_diffusion_dpo.py on preference_pairs,
captions included."""

import io

import numpy as np
import torch
from datasets import load_dataset
from PIL import Image
from torchvision import transforms

from curata.export.edit_triplets import EDIT_TRIPLETS, export_edit_triplets
from curata.export.preference_pairs import export_preference_pairs
from curata.export.versioned import Provenance, dataset_key, version_names
from tests.test_export_support import context, historical_table, selections_table, sessions_table

RESOLUTION = 32
PROVENANCE = Provenance({"validated_sessions": ["2025-01-15"]})


def paths(store, dataset: str) -> list[str]:
    """Every version folder, then the dataset's folder."""
    folder = dataset_key(dataset)
    return [str(store.local_path(f"{folder}/{v}")) for v in version_names(store, dataset)] + [
        str(store.local_path(folder))
    ]


def rows_of(path: str) -> list[tuple]:
    ds = load_dataset(path)
    return sorted((r["record_id"], r["image_0_uid"], r["image_1_uid"]) for s in ds for r in ds[s])


def dpo_batches(path: str) -> list[dict]:
    """train_diffusion_dpo.py: preprocess_train (jpg_0/jpg_1 opened, swapped when label_0 == 0) and the
    captions tokenize_captions reads (`caption`, a string per row)."""
    train_transforms = transforms.Compose(
        [transforms.Resize(RESOLUTION), transforms.CenterCrop(RESOLUTION), transforms.ToTensor()]
    )

    def preprocess_train(examples):
        pixels = [
            [train_transforms(Image.open(io.BytesIO(b)).convert("RGB")) for b in examples[c]]
            for c in ("jpg_0", "jpg_1")
        ]
        examples["pixel_values"] = [
            torch.cat(pair if label == 1 else pair[::-1], dim=0)
            for pair, label in zip(zip(*pixels, strict=True), examples["label_0"], strict=True)
        ]
        examples["input_ids"] = list(examples["caption"])  # what tokenize_captions hands the tokenizer
        return examples

    ds = load_dataset(path)
    return [ds[s].with_transform(preprocess_train)[: ds[s].num_rows] for s in ds]


def test_dpo_data_path_with_captions_on_every_version_and_the_latest(bank, store):
    historical = historical_table(bank, "mojo", 4)
    for version, sets in enumerate((6, 8)):
        selections = selections_table(bank, sets)
        chosen = selections.column("chosen_path").to_pylist()
        (bank.root / chosen[0]).with_suffix(".txt").write_text(f"a porch in spring, v{version}")
        export_preference_pairs(historical, selections, context(store, bank), PROVENANCE)
    all_paths = paths(store, "preference_pairs")
    assert len(all_paths) == 3
    for path in all_paths:
        captioned = 0
        for batch in dpo_batches(path):
            assert all(p.shape == (6, RESOLUTION, RESOLUTION) for p in batch["pixel_values"])
            for caption, has, source in zip(
                batch["input_ids"], batch["has_caption"], batch["caption_source"], strict=True
            ):
                assert isinstance(caption, str) and has == bool(caption) == bool(source)
                captioned += has
        assert captioned == 2, path  # the two pairs of the captioned selection, in every version
    assert rows_of(all_paths[-1]) == rows_of(all_paths[-2])  # the folder is the latest version, alone


def test_instruct_pix2pix_data_path_on_every_version_and_the_latest(bank, store):
    for n in (6, 9):
        export_edit_triplets(sessions_table(bank, list(range(n))), context(store, bank), PROVENANCE)
    all_paths = paths(store, EDIT_TRIPLETS.name)

    def convert_to_np(image: Image.Image) -> np.ndarray:
        return np.array(image.convert("RGB").resize((RESOLUTION, RESOLUTION))).transpose(2, 0, 1)

    def preprocess_train(examples):
        originals = np.concatenate([convert_to_np(i) for i in examples["input_image"]])
        editeds = np.concatenate([convert_to_np(i) for i in examples["edited_image"]])
        images = 2 * (torch.tensor(np.concatenate([originals, editeds])) / 255) - 1
        examples["original_pixel_values"], examples["edited_pixel_values"] = (
            i.reshape(-1, 3, RESOLUTION, RESOLUTION) for i in images.chunk(2)
        )
        examples["input_ids"] = list(examples["edit_prompt"])  # what tokenize_captions hands the tokenizer
        return examples

    counts = []
    for path in all_paths:
        train = load_dataset(path)["train"]  # the script's default split and column names
        batch = train.with_transform(preprocess_train)[: train.num_rows]
        assert batch["original_pixel_values"].shape == batch["edited_pixel_values"].shape
        assert all(isinstance(p, str) and p for p in batch["input_ids"])
        counts.append(sum(s.num_rows for s in load_dataset(path).values()))
    assert counts[-1] == counts[-2] == 9 and counts[0] == 6

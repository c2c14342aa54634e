"""The crop export: images decode, boxes agree in pixels, normalised and COCO form, sizes come from the file."""

from dataclasses import replace

import pytest
from datasets import load_dataset
from PIL import Image

from curata.export.crop_boxes import export_crop_boxes
from curata.export.inputs import SourceChanged
from curata.export.verify import export_problems
from curata.export.versioned import Provenance
from curata.images import ImageLimits
from tests.test_export_support import SIZE, context, crops_table

PROVENANCE = Provenance({"validated_crops": ["_all"]}, {"crop.box_placeholder": 2})


def test_loads_with_images_objects_and_boxes(bank, store):
    crops = crops_table(bank, 9)
    result = export_crop_boxes(crops, context(store, bank), PROVENANCE)
    ds = load_dataset(str(store.local_path(result.key)))
    assert ds["train"].features["objects"]["category"].feature.names == ["crop"]
    by_record = {r["record_id"]: r for r in crops.to_pylist()}
    rows = [r for split in ds.values() for r in split]
    assert len(rows) == 9
    for row in rows:
        source = by_record[row["record_id"]]
        assert isinstance(row["image"], Image.Image) and row["image"].size == (row["width"], row["height"]) == SIZE
        x1, y1, x2, y2 = (source[c] for c in ("crop_x1", "crop_y1", "crop_x2", "crop_y2"))
        assert (row["crop_x1"], row["crop_y1"], row["crop_x2"], row["crop_y2"]) == (x1, y1, x2, y2)
        assert row["objects"] == {"bbox": [[x1, y1, x2 - x1, y2 - y1]], "category": [0]}
        assert row["crop_nx1"] == pytest.approx(x1 / SIZE[0]) and row["crop_ny2"] == pytest.approx(y2 / SIZE[1])
        assert 0 <= row["crop_nx1"] < row["crop_nx2"] <= 1 and 0 <= row["crop_ny1"] < row["crop_ny2"] <= 1
        assert row["sizes_recovered"] == source["sizes_recovered"][source["chosen_idx"]]
        assert row["image_sha256"] == source["chosen_sha256"] and row["stage"] == "stage2"
    assert sum(r["sizes_recovered"] for r in rows) == 3 == result.manifest["sizes_recovered"]
    assert export_problems(store, result.key) == []
    card = store.read_text(f"{result.key}/README.md")
    assert "`crop.box_placeholder` | 2 |" in card and "`crop.box_outside_image`" in card


def test_an_image_over_todays_limits_stops_the_export_by_name(bank, store):
    crops = crops_table(bank, 3)
    ctx = context(store, bank)
    tight = replace(ctx, image_limits=ImageLimits(max_pixels=SIZE[0] * SIZE[1] - 1))
    with pytest.raises(SourceChanged, match="image.too_many_pixels.*re-materialize validated_crops"):
        export_crop_boxes(crops, tight, PROVENANCE)

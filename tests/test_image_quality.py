"""Image quality: planted poor images flagged with the right reason, a normal photo not; exports leave flagged
rows out by default and say so; the sessions source writes its quality table with the declared schema."""

from __future__ import annotations

import io
from dataclasses import replace

import pyarrow as pa
import pytest
from dagster import DagsterInstance
from PIL import Image, ImageFilter

from curata.catalog import spec_of
from curata.export.edit_triplets import export_edit_triplets
from curata.export.quality_gate import QualityGate
from curata.export.versioned import Provenance
from curata.images import DEFAULT_IMAGE_LIMITS, ImageLimits, inspect_image
from curata.quality import FLAGS, QualityThresholds
from curata.quality_tables import SESSION_IMAGE_QUALITY, quality_table
from curata.sample.scenes import jpeg_bytes, render_house
from curata.sample.sessions import backdate
from tests.conftest import DAY, later
from tests.dagster_helpers import definitions_for, ingest, materialized, warehouse_of
from tests.test_export_support import SIZE, context, sessions_table

PHOTO = (512, 384)


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def flags(data: bytes, limits: ImageLimits = DEFAULT_IMAGE_LIMITS) -> tuple[str, ...]:
    quality = inspect_image(data, limits).quality
    assert quality is not None
    return quality.flags


@pytest.mark.parametrize("encode", [jpeg_bytes, png_bytes])
def test_planted_poor_images_are_flagged_with_their_reason_and_a_normal_photo_is_not(encode):
    photo = render_house(3, PHOTO)
    assert flags(encode(Image.new("RGB", PHOTO))) == ("too_dark", "low_contrast", "low_information")
    assert flags(encode(photo.filter(ImageFilter.GaussianBlur(12)))) == ("blurry",)
    assert flags(encode(Image.new("RGB", PHOTO, (120, 140, 90)))) == ("low_contrast", "low_information")
    assert flags(encode(photo)) == ()


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (Image.new("RGB", PHOTO, (250, 250, 250)), ("too_bright", "low_contrast", "low_information")),
        (render_house(3, PHOTO).convert("L"), ("grayscale",)),
        (render_house(3, (1200, 200)), ("odd_aspect_ratio",)),
        (render_house(3, (30, 20)), ("too_small",)),
    ],
)
def test_every_other_flag_has_an_image_that_raises_it_alone(image, expected):
    assert flags(png_bytes(image)) == expected


@pytest.mark.parametrize("seed", range(6))
def test_sample_scenes_at_every_size_the_generator_writes_are_not_flagged(seed):
    for size in ((1024, 768), (320, 240), (256, 192), (160, 120), (96, 72)):
        assert flags(jpeg_bytes(render_house(seed, size, style="craftsman" if seed % 2 else "original"))) == ()


def test_thresholds_decide_and_measuring_can_be_left_out():
    photo = jpeg_bytes(render_house(3, PHOTO))
    strict = replace(DEFAULT_IMAGE_LIMITS, quality=QualityThresholds(blurry=1e6, too_small=1000))
    assert flags(photo, strict) == ("blurry", "too_small")
    assert inspect_image(photo, replace(DEFAULT_IMAGE_LIMITS, quality=None)).quality is None


def test_blur_means_the_same_at_every_resolution():
    """Measured on the same working scale, a photo and its 4x larger render agree on sharpness within 2x."""
    small, large = (inspect_image(jpeg_bytes(render_house(5, s)), DEFAULT_IMAGE_LIMITS) for s in (PHOTO, (2048, 1536)))
    assert small.quality and large.quality
    assert 0.5 < small.quality.sharpness / large.quality.sharpness < 2


def _quality_of(bank, sessions: pa.Table) -> pa.Table:
    """The quality table the sessions source would have written for these images."""
    paths = sessions.column("original_path").to_pylist() + sessions.column("edited_path").to_pylist()
    return quality_table(
        SESSION_IMAGE_QUALITY, ((p, inspect_image((bank.root / p).read_bytes(), DEFAULT_IMAGE_LIMITS)) for p in paths)
    )


def test_export_leaves_flagged_rows_out_counts_them_and_keeps_them_when_told(bank, store):
    blurred = jpeg_bytes(render_house(40, SIZE).filter(ImageFilter.GaussianBlur(4)))
    sessions = sessions_table(bank, list(range(6)), originals={2: blurred})
    quality = _quality_of(bank, sessions)
    provenance = Provenance({"validated_sessions": ["2025-01-15"]})

    gated = export_edit_triplets(
        sessions, replace(context(store, bank), quality=QualityGate.of([quality], FLAGS)), provenance
    )
    assert sum(gated.rows.values()) == 5 == gated.manifest["accepted_records"]
    assert gated.manifest["quality_excluded"]["rows"] == 1
    assert gated.manifest["quality_excluded"]["by_flag"] == {"blurry": 1}
    card = store.read_text(f"{gated.key}/README.md")
    assert "1 rows were left out because an image is flagged in the quality tables (1 blurry)" in card

    only_dark = export_edit_triplets(
        sessions, replace(context(store, bank), quality=QualityGate.of([quality], ["too_dark"])), provenance
    )
    assert sum(only_dark.rows.values()) == 6 and only_dark.manifest["quality_excluded"]["rows"] == 0

    off = export_edit_triplets(
        sessions, replace(context(store, bank), quality=QualityGate.of([quality], ())), provenance
    )
    assert sum(off.rows.values()) == 6 and off.manifest["quality_excluded"]["excluding"] == []
    assert "exclusion is off" in store.read_text(f"{off.key}/README.md")


def test_an_unknown_flag_name_is_refused():
    with pytest.raises(ValueError, match="unknown quality flags"):
        QualityGate.of([], ["blury"])


def test_sessions_write_their_quality_table_with_the_declared_schema(root, make_session, monkeypatch):
    make_session(seed=1)
    black = make_session(ts=later(10), seed=2)
    black.replace_image(black.original, jpeg_bytes(Image.new("RGB", (160, 120))), "originalSize")
    backdate(black.folder, later(10))
    day = DAY.date().isoformat()
    result = ingest(definitions_for(root, monkeypatch), day, DagsterInstance.ephemeral())
    assert result.success and "session_image_quality" in materialized(result)
    table = warehouse_of(root).read("session_image_quality", day)
    assert table.schema.equals(spec_of("session_image_quality").schema)
    flagged = dict(zip(table.column("path").to_pylist(), table.column("quality_flags").to_pylist(), strict=True))
    assert len(flagged) == 4
    assert flagged.pop(black.original.relative_to(root.root).as_posix()) == [
        "too_dark",
        "low_contrast",
        "low_information",
    ]
    assert all(f == [] for f in flagged.values())

"""The image-quality tables: one column set, one table per source, one row per accepted image."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields

import pyarrow as pa

from curata.images import ImageFacts
from curata.quality import WORKING_SIDE, ImageQuality, flags_of, measurements
from curata.tables import IMAGE_HASH, TableSpec, col, image_path

MEASURED = [f.name for f in fields(ImageQuality) if f.name != "flags"]  # columns named as ImageQuality's fields
_COLUMNS = (
    col("path", pa.string(), "the image, relative to the data root", image_path("sha256")),
    col("sha256", pa.string(), "its content hash: what exports match on", IMAGE_HASH),
    col("width", pa.int32(), "its width in pixels"),
    col("height", pa.int32(), "its height in pixels"),
    col("brightness", pa.float64(), "mean luma, 0-255"),
    col("contrast", pa.float64(), "standard deviation of the luma"),
    col("sharpness", pa.float64(), f"variance of the 3x3 Laplacian of the luma at {WORKING_SIDE} px (blur when low)"),
    col("entropy", pa.float64(), "entropy of the luma histogram, bits (0 for one flat colour, 8 at most)"),
    col("colourfulness", pa.float64(), "mean spread between a pixel's largest and smallest channel (0 for gray)"),
    col("aspect_ratio", pa.float64(), "longer side over shorter side"),
    col("short_side", pa.int32(), "the shorter side in pixels"),
    col("quality_flags", pa.list_(pa.string()), "the thresholds it is past (the `curata` resource's); empty: none"),
)


def quality_spec(
    name: str, source: str, partitioned_by: str | None = None, reached_by_erasure: bool = True
) -> TableSpec:
    return TableSpec(
        name,
        f"Quality of every accepted image of {source}, measured while it was decoded for validation. "
        "Flagged images stay here and in their source tables; exports leave them out by default.",
        _COLUMNS,
        partitioned_by,
        reached_by_erasure=reached_by_erasure,
    )


SESSION_IMAGE_QUALITY = quality_spec("session_image_quality", "the day's sessions (original and edited)", "day")
CURATION_IMAGE_QUALITY = quality_spec("curation_image_quality", "the curation logs")
PROJECT_IMAGE_QUALITY = quality_spec("project_image_quality", "the project (sandbox stages and winners)", "project")
LIBRARY_IMAGE_QUALITY = quality_spec("library_image_quality", "the photo library", reached_by_erasure=False)
QUALITY_TABLES = (SESSION_IMAGE_QUALITY, CURATION_IMAGE_QUALITY, PROJECT_IMAGE_QUALITY, LIBRARY_IMAGE_QUALITY)


def quality_table(spec: TableSpec, images: Iterable[tuple[str, ImageFacts]]) -> pa.Table:
    """One row per distinct path, in path order, every image measured at once; images inspected without
    measuring are left out."""
    kept = {path: facts for path, facts in images if facts.working is not None}
    paths = sorted(kept)
    facts = [kept[p] for p in paths]
    copies = [c for f in facts if (c := f.working) is not None]
    measured = measurements(copies)
    columns = {
        "path": paths,
        "sha256": [f.sha256 for f in facts],
        "width": [f.width for f in facts],
        "height": [f.height for f in facts],
        **{name: [m[name] for m in measured] for name in MEASURED},
        "quality_flags": [list(flags_of(m, c.thresholds)) for m, c in zip(measured, copies, strict=True)],
    }
    return pa.table(columns, schema=spec.schema)

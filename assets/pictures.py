"""Pictures as asset metadata that the Dagster UI renders.

Each picture is a PNG from `curata.visual`, embedded as a markdown data URI (the UI's markdown
allows `data:` image sources). The labels below are what the UI shows and the browser test looks for.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path

from dagster import MetadataValue

from curata.images import ImageLimits
from curata.visual import crop_sheet, health_history_png, pair_sheet, quarantine_sheet

QUARANTINED_IMAGES = "quarantined_images"
SAMPLE_PAIRS = "sample_pairs"
SAMPLE_CROPS = "sample_crops"
HEALTH_HISTORY = "health_history"

Metadata = dict[str, MetadataValue]


def picture(png: bytes, alt: str) -> MetadataValue:
    return MetadataValue.md(f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})")


def quarantine_pictures(rows: Sequence[Mapping[str, str]], data_root: Path, limits: ImageLimits) -> Metadata:
    """Thumbnails of the quarantined images with their rule (placeholders for what must not be decoded)."""
    return {QUARANTINED_IMAGES: picture(quarantine_sheet(rows, data_root, limits), "quarantined images and rules")}


def pair_pictures(rows: Sequence[Mapping], data_root: Path, limits: ImageLimits) -> Metadata:
    """Chosen beside rejected, from pair rows (`rejected_path`) or selection rows (`rejected_paths`)."""
    return {SAMPLE_PAIRS: picture(pair_sheet(rows, data_root, limits), "chosen beside rejected")}


def crop_pictures(rows: Sequence[Mapping], data_root: Path, limits: ImageLimits) -> Metadata:
    """`validated_crops` rows: the chosen image with its crop box."""
    return {SAMPLE_CROPS: picture(crop_sheet(rows, data_root, limits), "chosen images with their crop box")}


def health_pictures(reports: Sequence[dict]) -> Metadata:
    """The health reports of past nights (as `curata.health` writes them), oldest or newest first."""
    return {HEALTH_HISTORY: picture(health_history_png(reports), "session health per night")}

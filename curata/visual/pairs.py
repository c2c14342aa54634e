"""Preference samples: the chosen image beside the rejected ones, a few rows per picture."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from curata.images import ImageLimits
from curata.visual.sheet import CHOSEN, REJECTED, grid, hstack, png_bytes, tile
from curata.visual.thumbnails import load_thumbnail


@dataclass
class PreferenceSample:
    caption: str
    chosen: str
    rejected: list[str] = field(default_factory=list)


def preference_samples(rows: Sequence[Mapping]) -> list[PreferenceSample]:
    """One sample per chosen image, from pair rows (`rejected_path`) or selection rows (`rejected_paths`)."""
    samples: dict[tuple[str, str], PreferenceSample] = {}
    for row in rows:
        caption = row.get("record_id") or f"{row.get('project')}/{row.get('group_key')}"
        sample = samples.setdefault((caption, row["chosen_path"]), PreferenceSample(caption, row["chosen_path"]))
        sample.rejected += row["rejected_paths"] if "rejected_paths" in row else [row["rejected_path"]]
    return list(samples.values())


def pair_sheet(
    rows: Sequence[Mapping], data_root: Path, limits: ImageLimits, *, size: int = 144, limit: int = 5, per_row: int = 3
) -> bytes:
    """The first `limit` samples, one per row: chosen (green), then up to `per_row` rejected (red)."""
    samples = preference_samples(rows)
    cells = [_row_strip(s, data_root, limits, size, per_row) for s in samples[:limit]]
    title = f"{len(cells)} of {len(samples)} chosen images beside what was rejected"
    return png_bytes(grid(cells, 1, title))


def _row_strip(sample: PreferenceSample, data_root: Path, limits: ImageLimits, size: int, per_row: int) -> Image.Image:
    chosen = tile(load_thumbnail(data_root, sample.chosen, limits, size), ["chosen", sample.caption], size, CHOSEN)
    rejected = [
        tile(load_thumbnail(data_root, path, limits, size), ["rejected", Path(path).name], size, REJECTED)
        for path in sample.rejected[:per_row]
    ]
    return hstack([chosen, *rejected])

"""Sample crops: the chosen image with its crop box drawn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from curata.images import ImageLimits
from curata.visual.sheet import BOX, grid, png_bytes, tile
from curata.visual.thumbnails import Thumbnail, load_thumbnail

CORNERS = ("crop_x1", "crop_y1", "crop_x2", "crop_y2")


def crop_sheet(
    rows: Sequence[Mapping], data_root: Path, limits: ImageLimits, *, size: int = 176, columns: int = 4, limit: int = 8
) -> bytes:
    """`validated_crops` rows: box corners in pixels of the chosen image, drawn on its thumbnail."""
    cells = [_cell(r, data_root, limits, size) for r in rows[:limit]]
    return png_bytes(grid(cells, columns, f"{len(cells)} of {len(rows)} crops, box in yellow"))


def _cell(row: Mapping, data_root: Path, limits: ImageLimits, size: int) -> Image.Image:
    picture = load_thumbnail(data_root, row["chosen_path"], limits, size)
    box = [float(row[c]) for c in CORNERS]
    if isinstance(picture, Thumbnail):
        picture = Thumbnail(_with_box(picture, box), picture.scale)
    x1, y1, x2, y2 = box
    labels = [row.get("record_id") or Path(row["chosen_path"]).name, f"box {x1:g},{y1:g} - {x2:g},{y2:g}"]
    return tile(picture, labels, size)


def _with_box(thumb: Thumbnail, box: list[float]) -> Image.Image:
    img = thumb.image.copy()
    scaled = [round(v * thumb.scale) for v in box]
    scaled[2:] = [max(scaled[0], scaled[2] - 1), max(scaled[1], scaled[3] - 1)]  # x2, y2 are exclusive
    ImageDraw.Draw(img).rectangle(scaled, outline=BOX, width=2)
    return img

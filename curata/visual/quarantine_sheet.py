"""A contact sheet of quarantined images, each labelled with the rule it broke."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain, zip_longest
from pathlib import Path

from PIL import Image

from curata.images import ImageLimits
from curata.rules import RULES
from curata.visual.sheet import grid, png_bytes, tile
from curata.visual.thumbnails import Thumbnail, load_thumbnail, names_an_image

Row = Mapping[str, str]


def quarantine_sheet(
    rows: Sequence[Row], data_root: Path, limits: ImageLimits, *, size: int = 128, columns: int = 8, limit: int = 40
) -> bytes:
    """Rows naming an image (`QUARANTINE_SCHEMA` dicts), every rule shown before any rule's second image.

    An image the inspection refuses (a bomb, a text file named .png) is never decoded: its tile is a
    placeholder with the rule's summary and the row's detail.
    """
    images = [r for r in rows if names_an_image(r["file"])]
    shown = _one_of_each_rule_first(images)[:limit]
    cells = [_cell(r, data_root, limits, size) for r in shown]
    title = f"{len(shown)} of {len(images)} quarantined images ({len(rows)} quarantine rows)"
    return png_bytes(grid(cells, columns, title))


def _one_of_each_rule_first(rows: Sequence[Row]) -> list[Row]:
    by_rule: dict[str, list[Row]] = {}
    for row in rows:
        by_rule.setdefault(row["rule_id"], []).append(row)
    return [r for r in chain.from_iterable(zip_longest(*by_rule.values())) if r is not None]


def _cell(row: Row, data_root: Path, limits: ImageLimits, size: int) -> Image.Image:
    picture = load_thumbnail(data_root, row["file"], limits, size)
    rule = RULES.rules.get(row["rule_id"])
    refused = f"{rule.summary if rule else row['rule_id']}. {row.get('detail') or ''}"
    labels = [row["rule_id"], Path(row["file"]).name]
    return tile(picture, labels, size, refused=refused if not isinstance(picture, Thumbnail) else "")

"""A face cluster as a picture: a grid of its face crops, labelled, small enough to embed in metadata.

A person checks a cluster by looking at it: a stranger among thirty crops of one face stands out at
once. Crops come from library images that already passed `curata.images` inspection (the caller
passes only those); boxes follow face_recognition's (top, right, bottom, left) in image pixels.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BACKGROUND = (24, 24, 28)
TEXT = (235, 235, 235)


@dataclass(frozen=True)
class FaceCrop:
    image_path: Path  # an image accepted by curata.images inspection
    box: tuple[int, int, int, int]  # top, right, bottom, left, in pixels of that image


@dataclass(frozen=True)
class SheetLayout:
    max_tiles: int = 30
    columns: int = 6
    tile: int = 88  # pixels per square tile
    gap: int = 4
    header: int = 28
    context: float = 0.2  # extra margin around the face box, as a fraction of its size
    max_bytes: int = 150_000  # base64 of this still fits comfortably in Dagster metadata

    def size(self, tiles: int) -> tuple[int, int]:
        """Width and height of a sheet of `tiles` crops: full rows of `columns`, at least one row."""
        rows = max(1, -(-tiles // self.columns))
        return self.gap + self.columns * (self.tile + self.gap), self.header + rows * (self.tile + self.gap)

    def tile_origin(self, index: int) -> tuple[int, int]:
        column, row = index % self.columns, index // self.columns
        return self.gap + column * (self.tile + self.gap), self.header + row * (self.tile + self.gap)


def pick_faces(face_ids: Sequence[str], representative: str, max_tiles: int) -> list[str]:
    """The representative first (if among `face_ids`), then faces spread evenly over the sorted rest."""
    lead = [representative] if representative in face_ids else []
    rest = sorted(f for f in face_ids if f != representative)
    room = max(0, max_tiles - len(lead))
    if len(rest) > room:
        rest = [rest[i * len(rest) // room] for i in range(room)]
    return (lead + rest)[:max_tiles]


def render_contact_sheet(
    label: str, total: int, crops: Sequence[FaceCrop], layout: SheetLayout = SheetLayout()
) -> bytes:
    """PNG bytes of up to `layout.max_tiles` crops under a header naming `label` and `total` faces."""
    shown = list(crops[: layout.max_tiles])
    tiles = _tiles(shown, layout)
    sheet = Image.new("RGB", layout.size(len(tiles)), BACKGROUND)
    for index, tile in enumerate(tiles):
        sheet.paste(tile, layout.tile_origin(index))
    caption = f"{label}  {total} face{'s' if total != 1 else ''}" + (
        f", {len(tiles)} shown" if len(tiles) < total else ""
    )
    ImageDraw.Draw(sheet).text((layout.gap, 6), caption, fill=TEXT, font=ImageFont.load_default(size=14))
    return _png_within(sheet, layout.max_bytes)


def cluster_sheet(
    cluster: dict,
    boxes: Mapping[str, tuple[int, int, int, int]],
    accepted: Mapping[str, Path],
    layout: SheetLayout = SheetLayout(),
) -> bytes:
    """The sheet of one `library_face_clusters` row: `boxes` by face id, `accepted` image paths by image id
    (only images that passed inspection); faces without either are left out, never opened."""
    image_of = dict(zip(cluster["face_ids"], cluster["image_ids"], strict=True))
    usable = [f for f in cluster["face_ids"] if f in boxes and image_of[f] in accepted]
    shown = pick_faces(usable, cluster["representative_face_id"], layout.max_tiles)
    crops = [FaceCrop(accepted[image_of[f]], boxes[f]) for f in shown]
    return render_contact_sheet(cluster["cluster_id"], cluster["size"], crops, layout)


def _tiles(crops: list[FaceCrop], layout: SheetLayout) -> list[Image.Image]:
    """One square tile per crop, in order; each image decoded once, reduced as far as its faces allow."""
    by_image: dict[Path, list[int]] = {}
    for index, crop in enumerate(crops):
        by_image.setdefault(crop.image_path, []).append(index)
    tiles: list[Image.Image | None] = [None] * len(crops)
    for path, indices in by_image.items():
        with Image.open(path) as img:
            full = img.size
            smallest_face = min(_face_side(crops[i].box) for i in indices)
            reduce = max(1, int(smallest_face // layout.tile))
            img.draft("RGB", (full[0] // reduce, full[1] // reduce))  # JPEG: decode at 1/2, 1/4, 1/8 size
            picture = img.convert("RGB")
        scale = picture.width / full[0]
        for i in indices:
            tiles[i] = _tile(picture, crops[i].box, scale, layout)
    return [t for t in tiles if t is not None]


def _tile(picture: Image.Image, box: tuple[int, int, int, int], scale: float, layout: SheetLayout) -> Image.Image:
    top, right, bottom, left = box
    side = _face_side(box) * (1 + 2 * layout.context)
    cx, cy = (left + right) / 2, (top + bottom) / 2
    square = [(cx - side / 2) * scale, (cy - side / 2) * scale, (cx + side / 2) * scale, (cy + side / 2) * scale]
    clamped = (
        max(0, round(square[0])),
        max(0, round(square[1])),
        min(picture.width, round(square[2])),
        min(picture.height, round(square[3])),
    )
    crop = picture.crop(clamped)
    crop.thumbnail((layout.tile, layout.tile), Image.LANCZOS)
    tile = Image.new("RGB", (layout.tile, layout.tile), BACKGROUND)
    tile.paste(crop, ((layout.tile - crop.width) // 2, (layout.tile - crop.height) // 2))
    return tile


def _face_side(box: tuple[int, int, int, int]) -> int:
    top, right, bottom, left = box
    return max(1, right - left, bottom - top)


def _png_within(sheet: Image.Image, max_bytes: int) -> bytes:
    """The sheet as a 256-colour PNG (undithered: smaller, and crops still read well), shrunk until it fits."""
    image = sheet
    while True:
        out = io.BytesIO()
        image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(out, format="PNG")
        if out.tell() <= max_bytes or image.width < 128:
            return out.getvalue()
        shrink = min(0.9, (max_bytes / out.tell()) ** 0.5)
        image = image.resize((round(image.width * shrink), round(image.height * shrink)), Image.LANCZOS)

"""Contact sheets of face clusters, drawn from real JPEGs with painted faces at known boxes."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from curata.images import ImageLimits, inspect_file
from curata.library.contact_sheet import (
    BACKGROUND,
    FaceCrop,
    SheetLayout,
    cluster_sheet,
    pick_faces,
    render_contact_sheet,
)

SKIN = (224, 172, 138)


def _photo_with_faces(path: Path, size: tuple[int, int], boxes: list[tuple[int, int, int, int]], seed: int) -> Path:
    """A noisy JPEG (like a photo, hard to compress) with a skin-coloured face painted in each box."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(40, 200, (size[1], size[0], 3), dtype=np.uint8)
    img = Image.fromarray(pixels)
    draw = ImageDraw.Draw(img)
    for top, right, bottom, left in boxes:
        draw.ellipse((left, top, right, bottom), fill=SKIN)
        w, h = right - left, bottom - top
        for ex in (left + w * 0.3, left + w * 0.7):
            draw.ellipse((ex - w * 0.06, top + h * 0.35, ex + w * 0.06, top + h * 0.45), fill=(30, 30, 30))
        draw.line((left + w * 0.35, top + h * 0.72, left + w * 0.65, top + h * 0.72), fill=(120, 40, 40), width=3)
    img.save(path, format="JPEG", quality=90)
    return path


@pytest.fixture
def library(tmp_path: Path) -> list[FaceCrop]:
    """Seven faces in four accepted photos (one photo holds two), as validation would pass them on."""
    specs = [
        ((640, 480), [(100, 300, 300, 100)]),
        ((800, 600), [(50, 250, 250, 50), (220, 700, 420, 500)]),
        ((1600, 1200), [(300, 1100, 900, 500)]),  # a large face: decoded at reduced size
        ((640, 480), [(0, 120, 120, 0), (380, 640, 480, 540), (200, 400, 330, 270)]),  # at the borders
    ]
    crops = []
    for i, (size, boxes) in enumerate(specs):
        path = _photo_with_faces(tmp_path / f"photo_{i}.jpg", size, boxes, seed=i)
        inspect_file(path, ImageLimits())  # raises if the photo would have been rejected
        crops += [FaceCrop(path, box) for box in boxes]
    return crops


def _decode(png: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG"
    return img.convert("RGB")


def _filled_tiles(sheet: Image.Image, layout: SheetLayout) -> list[np.ndarray]:
    """The grid cells that hold something other than background, as pixel arrays."""
    pixels = np.asarray(sheet).astype(int)
    filled = []
    for index in range(layout.columns * ((sheet.height - layout.header) // (layout.tile + layout.gap))):
        x, y = layout.tile_origin(index)
        cell = pixels[y : y + layout.tile, x : x + layout.tile]
        if np.abs(cell - np.array(BACKGROUND)).sum(axis=2).mean() > 20:
            filled.append(cell)
    return filled


def test_one_tile_per_face_each_centred_on_the_face(library: list[FaceCrop]) -> None:
    layout = SheetLayout()
    sheet = _decode(render_contact_sheet("face-cluster-abc", len(library), library, layout))
    assert sheet.size == layout.size(len(library))
    tiles = _filled_tiles(sheet, layout)
    assert len(tiles) == len(library)
    for cell in tiles:
        centre = cell[layout.tile // 2 - 4 : layout.tile // 2 + 4, layout.tile // 2 - 4 : layout.tile // 2 + 4]
        assert np.abs(centre.mean(axis=(0, 1)) - np.array(SKIN)).max() < 40  # the painted face, not the noise


def test_tiles_are_capped_and_the_header_is_drawn(library: list[FaceCrop]) -> None:
    layout = SheetLayout(max_tiles=12)
    many = library * 5
    sheet = _decode(render_contact_sheet("face-cluster-abc", len(many), many, layout))
    assert len(_filled_tiles(sheet, layout)) == 12
    header = np.asarray(sheet)[: layout.header]
    assert (np.abs(header.astype(int) - np.array(BACKGROUND)).sum(axis=2) > 200).sum() > 50  # caption pixels


def test_sheet_stays_under_its_byte_budget(library: list[FaceCrop]) -> None:
    many = library * 5
    roomy = render_contact_sheet("face-cluster-abc", len(many), many, SheetLayout(tile=160))
    assert len(roomy) <= SheetLayout().max_bytes
    tight = SheetLayout(tile=160, max_bytes=20_000)
    small = render_contact_sheet("face-cluster-abc", len(many), many, tight)
    assert len(small) <= 20_000
    assert _decode(small).width >= 128


def test_an_empty_cluster_still_renders_its_label() -> None:
    sheet = _decode(render_contact_sheet("face-cluster-none", 0, []))
    assert sheet.size == SheetLayout().size(0)


def test_pick_faces_puts_the_representative_first_and_spreads_the_rest() -> None:
    faces = [f"face-{i:03d}" for i in range(100)]
    picked = pick_faces(list(reversed(faces)), "face-050", 10)
    assert picked[0] == "face-050" and len(picked) == 10 and len(set(picked)) == 10
    assert picked == pick_faces(faces, "face-050", 10)  # input order does not matter
    assert picked[1] == "face-000" and picked[-1] >= "face-080"  # spread over the whole range
    assert pick_faces(faces[:3], "face-001", 10) == ["face-001", "face-000", "face-002"]


def test_cluster_sheet_shows_only_faces_of_accepted_images(library: list[FaceCrop], tmp_path: Path) -> None:
    rejected = tmp_path / "rejected.jpg"
    rejected.write_bytes(b"not an image")  # never opened: it is not among the accepted paths
    face_ids = [f"face-{i}" for i in range(len(library) + 2)]
    image_ids = [c.image_path.name for c in library] + ["rejected.jpg", library[0].image_path.name]
    boxes = {f: c.box for f, c in zip(face_ids, library, strict=False)} | {face_ids[-2]: (0, 10, 10, 0)}
    accepted = {c.image_path.name: c.image_path for c in library}
    cluster = {
        "cluster_id": "face-cluster-abc",
        "size": len(face_ids),
        "representative_face_id": "face-3",
        "face_ids": face_ids,
        "image_ids": image_ids,
    }
    layout = SheetLayout()
    sheet = _decode(cluster_sheet(cluster, boxes, accepted, layout))
    assert len(_filled_tiles(sheet, layout)) == len(library)  # the rejected image's face and the boxless one left out
    assert pick_faces(["a", "b"], "z", 5) == ["a", "b"]

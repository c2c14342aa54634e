"""Pictures on real images: placeholders for what must not be decoded, tiles where expected, PNGs under budget."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pyarrow as pa
import pytest
from PIL import Image

import curata.visual.thumbnails as thumbnails
from assets.pictures import picture, quarantine_pictures
from curata.images import ImageLimits
from curata.sample.scenes import jpeg_bytes, render_house
from curata.sample.session_defects import png_declaring
from curata.tables import col
from curata.visual import crop_sheet, health_history_png, history_table, pair_sheet, quarantine_sheet
from curata.visual.crops import CORNERS
from curata.visual.health_plot import MAX_RULES, history_figure
from curata.visual.pairs import preference_samples
from curata.visual.sheet import BOX, GAP, LINE_HEIGHT, PLACEHOLDER, PNG_BUDGET_BYTES, png_bytes
from resources.table_metadata import column_schema, table_preview

LIMITS = ImageLimits(max_pixels=10_000_000, max_bytes=5_000_000)
SIZE = 96


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data root with two photos, a decompression bomb, a text file named .png and a photo outside the root."""
    root = tmp_path / "data"
    (root / "img").mkdir(parents=True)
    for i, name in enumerate(("a.jpg", "b.jpg")):
        (root / "img" / name).write_bytes(jpeg_bytes(render_house(i, (160, 120))))
    (root / "img" / "bomb.png").write_bytes(png_declaring(60_000, 60_000))
    (root / "img" / "notes.png").write_text("not an image, whatever the name says\n")
    (tmp_path / "outside.jpg").write_bytes(jpeg_bytes(render_house(9, (160, 120))))
    return root


def q_row(rule: str, file: str) -> dict[str, str]:
    return {"record_id": file, "rule_id": rule, "file": file, "detail": f"detail of {file}", "hint": "fix it"}


def decode(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG") and len(png) <= PNG_BUDGET_BYTES
    return Image.open(io.BytesIO(png)).convert("RGB")


def grid_size(cells: int, columns: int, cell: tuple[int, int]) -> tuple[int, int]:
    rows = -(-cells // columns)
    return GAP + min(cells, columns) * (cell[0] + GAP), LINE_HEIGHT + 2 * GAP + rows * (cell[1] + GAP)


def square(sheet: Image.Image, index: int, columns: int, cell: tuple[int, int], size: int) -> Image.Image:
    """The picture square of tile `index` in a grid."""
    x = GAP + (index % columns) * (cell[0] + GAP)
    y = LINE_HEIGHT + 2 * GAP + (index // columns) * (cell[1] + GAP)
    return sheet.crop((x, y, x + size, y + size))


def mostly(img: Image.Image, color: tuple[int, int, int], tolerance: int = 10) -> bool:
    count, common = max(img.getcolors(img.width * img.height))
    return count > img.width * img.height / 2 and all(
        abs(a - b) <= tolerance for a, b in zip(common, color, strict=True)
    )


def test_quarantine_sheet_draws_refused_files_as_placeholders_without_decoding_them(data, monkeypatch):
    opened: list[str] = []  # files Pillow opened by path (the inspection decodes bytes it read itself)
    real_open = thumbnails.Image.open

    def recording_open(source, *args, **kwargs):
        if isinstance(source, str | Path):
            opened.append(str(source))
        return real_open(source, *args, **kwargs)

    monkeypatch.setattr(thumbnails.Image, "open", recording_open)
    rows = [
        q_row("image.too_many_pixels", "img/bomb.png"),
        q_row("session.size_mismatch", "img/a.jpg"),
        q_row("image.undecodable", "img/notes.png"),
        q_row("session.metadata_unparseable", "sessions/s1/metadata.json"),  # not an image: not a tile
        q_row("session.path_escapes", "img/../../outside.jpg"),
        q_row("project.stray_file", "img/b.jpg"),
    ]
    sheet = decode(quarantine_sheet(rows, data, LIMITS, size=SIZE, columns=3))

    cell = (SIZE, SIZE + 2 * LINE_HEIGHT + 2)
    assert sheet.size == grid_size(5, 3, cell)
    placeholders = [mostly(square(sheet, i, 3, cell, SIZE), PLACEHOLDER) for i in range(5)]
    assert placeholders == [True, False, True, True, False]  # bomb, photo, text file, outside the root, photo
    assert opened == [str((data / "img" / n).resolve()) for n in ("a.jpg", "b.jpg")]


def test_quarantine_sheet_shows_every_rule_before_a_second_image_of_any_rule(data):
    rows = [q_row("image.undecodable", "img/notes.png")] * 3 + [q_row("project.stray_file", "img/a.jpg")]
    sheet = decode(quarantine_sheet(rows, data, LIMITS, size=SIZE, columns=4, limit=2))
    cell = (SIZE, SIZE + 2 * LINE_HEIGHT + 2)
    assert sheet.height == grid_size(2, 4, cell)[1]  # one row; the title sets the width
    assert not mostly(square(sheet, 1, 4, cell, SIZE), PLACEHOLDER)  # the photo made it into the first two


def test_quarantine_sheet_of_many_photos_stays_under_budget(tmp_path):
    (tmp_path / "img").mkdir()
    photos = [jpeg_bytes(render_house(i, (256, 192))) for i in range(8)]
    rows = []
    for i in range(40):
        (tmp_path / "img" / f"{i}.jpg").write_bytes(photos[i % 8])
        rows.append(q_row("project.stray_file", f"img/{i}.jpg"))
    sheet = decode(quarantine_sheet(rows, tmp_path, LIMITS))
    assert sheet.width > 8 * 128


def test_preference_samples_group_rejected_images_under_their_chosen_one():
    rows = [
        {"project": "p", "group_key": "g1", "chosen_path": "c1", "rejected_path": "r1"},
        {"project": "p", "group_key": "g1", "chosen_path": "c1", "rejected_path": "r2"},
        {"project": "p", "group_key": "g2", "chosen_path": "c2", "rejected_path": "r3"},
        {"record_id": "selection_only_log.csv:2", "chosen_path": "c3", "rejected_paths": ["r4", "r5"]},
    ]
    assert [(s.caption, s.chosen, s.rejected) for s in preference_samples(rows)] == [
        ("p/g1", "c1", ["r1", "r2"]),
        ("p/g2", "c2", ["r3"]),
        ("selection_only_log.csv:2", "c3", ["r4", "r5"]),
    ]


def test_pair_sheet_puts_each_chosen_image_beside_its_rejected_ones(data):
    rows = [
        {"record_id": "log:2", "chosen_path": "img/a.jpg", "rejected_paths": ["img/b.jpg", "img/bomb.png"]},
        {"record_id": "log:3", "chosen_path": "img/b.jpg", "rejected_paths": ["img/a.jpg"]},
        {"record_id": "log:4", "chosen_path": "img/a.jpg", "rejected_paths": ["img/b.jpg"]},
    ]
    sheet = decode(pair_sheet(rows, data, LIMITS, size=SIZE, limit=2))
    strip = (3 * SIZE + 2 * GAP, SIZE + 2 * LINE_HEIGHT + 2)  # chosen + the two rejected of the widest sample
    assert sheet.size == grid_size(2, 1, strip)
    x, y = GAP + 2 * (SIZE + GAP), LINE_HEIGHT + 2 * GAP  # the first strip's third tile: the bomb
    assert mostly(sheet.crop((x + 4, y + 4, x + SIZE - 4, y + SIZE - 4)), PLACEHOLDER)  # inside the red frame
    assert not mostly(sheet.crop((x - SIZE - GAP + 4, y + 4, x - GAP - 4, y + SIZE - 4)), PLACEHOLDER)


def crop_row(record_id: str, path: str, box: tuple[int, int, int, int]) -> dict:
    return {"record_id": record_id, "chosen_path": path} | dict(zip(CORNERS, box, strict=True))


def test_crop_sheet_draws_the_box_where_the_log_puts_it(data):
    rows = [crop_row("crops:2", "img/a.jpg", (40, 30, 120, 90)), crop_row("crops:3", "img/bomb.png", (0, 0, 9, 9))]
    size = 176  # larger than the 160x120 photo: drawn at scale 1, centred
    sheet = decode(crop_sheet(rows, data, LIMITS, size=size, columns=2))
    cell = (size, size + 2 * LINE_HEIGHT + 2)
    assert sheet.size == grid_size(2, 2, cell)
    photo = square(sheet, 0, 2, cell, size).crop((8, 28, 168, 148))
    left_edge = [photo.getpixel((40, y)) for y in range(34, 86)]
    inside = [photo.getpixel((80, y)) for y in range(34, 86)]
    assert all(_near(p, BOX) for p in left_edge)
    assert not any(_near(p, BOX) for p in inside)
    assert mostly(square(sheet, 1, 2, cell, size), PLACEHOLDER)


def _near(pixel: tuple[int, int, int], color: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color, strict=True))


def report(generated_at: str, accepted: int, deferred: int, by_rule: dict[str, int]) -> dict:
    sessions = {"accepted": accepted, "deferred": deferred, "quarantined": sum(by_rule.values())}
    return {"generated_at": generated_at, "sessions": sessions | {"quarantined_by_rule": by_rule}}


def test_health_history_has_one_point_per_night_from_its_last_report():
    reports = [
        report("2025-01-17T03:00:00+00:00", 30, 0, {"image.truncated": 2, "session.file_missing": 1}),
        report("2025-01-15T03:00:00+00:00", 10, 2, {"image.truncated": 1}),
        report("2025-01-16T03:00:00+00:00", 18, 1, {"image.truncated": 1}),
        report("2025-01-16T09:30:00+00:00", 20, 1, {"image.truncated": 2}),  # a re-run: replaces the night's first
    ]
    table = history_table(reports)
    assert list(table.index) == ["2025-01-15", "2025-01-16", "2025-01-17"]
    assert list(table["accepted"]) == [10, 20, 30]
    assert list(table["session.file_missing"]) == [0, 0, 1]
    ticks = [t.get_text() for t in history_figure(table).axes[1].get_xticklabels()]
    assert ticks == ["2025-01-15", "2025-01-16", "2025-01-17"]
    assert decode(health_history_png(reports)).size == (720, 480)


def test_health_history_folds_rare_rules_into_other_rules():
    rules = {f"rule.{i:02d}": i + 1 for i in range(MAX_RULES + 3)}
    figure = history_figure(history_table([report("2025-01-15T03:00:00+00:00", 5, 0, rules)]))
    labels = [t.get_text() for t in figure.axes[1].get_legend().get_texts()]
    assert len(labels) == MAX_RULES + 1 and labels[-1] == "other rules"
    assert "rule.00" not in labels and f"rule.{MAX_RULES + 2:02d}" in labels


def test_health_history_without_reports_is_still_a_picture():
    assert decode(health_history_png([])).width > 0


def test_png_bytes_shrinks_a_noisy_picture_under_the_budget():
    import numpy as np

    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8))
    assert decode(png_bytes(noise)).width < 640


def test_picture_metadata_is_a_markdown_data_uri_of_the_png(data):
    value = quarantine_pictures([q_row("image.undecodable", "img/notes.png")], data, LIMITS)["quarantined_images"]
    prefix = "![quarantined images and rules](data:image/png;base64,"
    assert value.value.startswith(prefix) and value.value.endswith(")")
    assert decode(base64.b64decode(value.value[len(prefix) : -1])).width > 0
    assert picture(b"\x89PNG", "x").value == "![x](data:image/png;base64,iVBORw==)"


def test_table_preview_counts_rows_and_cuts_long_cells():
    schema = pa.schema([col("name", pa.string(), "who"), col("blob", pa.binary(), "raw bytes")])
    table = pa.Table.from_pylist([{"name": "a|b" + "x" * 60, "blob": b"\0" * 7}] * 8, schema=schema)
    meta = table_preview(table, rows=3)
    assert meta["dagster/row_count"].value == 8
    lines = meta["preview"].value.splitlines()
    assert lines[:2] == ["| name | blob |", "|---|---|"] and len(lines) == 5
    assert lines[2] == "| a\\|b" + "x" * 36 + "… | <7 bytes> |"
    assert [(c.name, c.type, c.description) for c in column_schema(schema).columns] == [
        ("name", "string", "who"),
        ("blob", "binary", "raw bytes"),
    ]

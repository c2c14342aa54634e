"""Selection and crop logs with their images, every historical variant and defect at known rows."""

from __future__ import annotations

import csv
import io
import json
import shutil

import numpy as np
from PIL import Image

from curata.curation.crops import crop_header
from curata.curation.logs import CROP_LOG, SELECTION_LOG
from curata.curation.selections import SELECTION_HEADER
from curata.layout import DataRoot
from curata.sample.prompts import save_with_prompt, suffix_for
from curata.sample.scenes import STYLES, render_house
from curata.sample.session_defects import bmp_declaring, png_declaring

STYLE_NAMES = list(STYLES)
BOM = "\ufeff"
ID_RULE = "curation.id_invalid"
OTHER_MACHINE = "/Users/erik/projects/mojo1/"
# How each set's images carry their prompt, in turn: every format a generator writes, and none.
CAPTION_FORMATS = ("a1111", "comfyui", "exif", "xmp", "txt", "json", None)


def _row(fields: list) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    return buf.getvalue()


class _Log:
    """Rows of one log with the outcome each must have; line 1 is the header."""

    def __init__(self, header: list[str]):
        self.lines = [_row(header)]
        self.truth: list[dict] = []

    def add(self, fields: list, expected: str = "accepted", rule: str | None = None, recovered: bool = False) -> None:
        self.lines.append(_row(fields))
        self.truth.append({"line_no": len(self.lines), "expected": expected, "rule": rule, "recovered": recovered})

    def add_partial(self, fields: list) -> None:
        """A last line the tool never finished: cut mid-field, no line end."""
        text = _row(fields)
        self.lines.append(text[: len(text) // 2])
        self.truth.append(
            {
                "line_no": len(self.lines),
                "expected": "quarantined",
                "rule": "curation.row_truncated",
                "recovered": False,
            }
        )


def generate_curation(
    root: DataRoot,
    *,
    n_sets: int = 40,
    seed: int = 5,
    image_size: tuple[int, int] = (256, 192),
    defects: bool = True,
) -> dict:
    """Writes `curation/images/`, both logs and `ground_truth/curation.json`; returns the ground truth."""
    rng = np.random.default_rng(seed)
    if root.curation.exists():
        shutil.rmtree(root.curation)
    images = root.curation / "images"
    sets: list[list[str]] = []
    captions: dict[str, dict] = {}
    for i in range(n_sets):
        folder = images / f"set_{i:03d}"
        folder.mkdir(parents=True)
        stages = int(rng.integers(2, 5))
        fmt, prompt = CAPTION_FORMATS[i % len(CAPTION_FORMATS)], f"a two-storey house with a porch, take {i}"
        paths = []
        for k in range(1, stages + 1):
            path = folder / f"img_{i:03d}_stage{k}{suffix_for(fmt)}"
            img = render_house(seed * 7919 + i, image_size, style=STYLE_NAMES[k % len(STYLE_NAMES)])
            source = save_with_prompt(img, path, prompt, fmt)
            paths.append(path.relative_to(root.root).as_posix())
            if source is not None:
                captions[paths[-1]] = {"caption": prompt, "source": source}
        sets.append(paths)
    for twin, style in (("dup_a", "craftsman"), ("dup_b", "mediterranean")):
        (images / twin).mkdir()
        render_house(seed, image_size, style=style).save(images / twin / "shared_name.png")
    w, h = image_size

    sel = _Log(SELECTION_HEADER)
    crop = _Log(crop_header(3))
    for i, paths in enumerate(sets):
        chosen = int(rng.integers(len(paths)))
        variant = i % 4
        shown = paths if variant == 0 else [_variant(p, variant) for p in paths]
        sel.add(
            [
                f"2025-10-0{1 + i % 9}T10:{i % 60:02d}:00",
                f"s{i % 5}",
                f"set_{i:03d}",
                shown[chosen],
                json.dumps([s for k, s in enumerate(shown) if k != chosen]),
            ]
        )
        x1, y1 = int(rng.integers(0, w // 3)), int(rng.integers(0, h // 3))
        x2, y2 = int(rng.integers(w // 2, w)), int(rng.integers(h // 2, h))
        zero_sizes = i % 3 == 0  # the desktop tool's (0, 0) bug, recoverable from the files
        slots = [v for k, p in enumerate(shown) for v in (p, f"stage{k + 1}", *((0, 0) if zero_sizes else (w, h)))]
        base = [f"2025-10-0{1 + i % 9}T11:{i % 60:02d}:00", f"s{i % 5}", f"set_{i:03d}"]
        if i % 7 == 3:  # an older tool version: no directory column
            crop.add([*base, chosen, shown[chosen], *slots, x1, y1, x2, y2], recovered=zero_sizes)
        elif i % 7 == 5:  # a newer tool version: an extra trailing column
            crop.add(
                [*base, f"set_{i:03d}", chosen, shown[chosen], *slots, x1, y1, x2, y2, "tool=2.3"], recovered=zero_sizes
            )
        else:
            crop.add([*base, f"set_{i:03d}", chosen, shown[chosen], *slots, x1, y1, x2, y2], recovered=zero_sizes)
    if defects:
        _hostile_rows(sel, crop, write_hostile_images(root, sets[3][0]), sets[3], w, h)
        _selection_defects(sel, sets)  # each ends with a partial last line
        _crop_defects(crop, sets, w, h)
        crop.lines[0] = BOM + crop.lines[0]  # written by a Windows tool: a byte-order mark before the header
    root.curation.mkdir(parents=True, exist_ok=True)
    (root.curation / SELECTION_LOG).write_text("".join(sel.lines))
    (root.curation / CROP_LOG).write_text("".join(crop.lines))
    truth = {SELECTION_LOG: sel.truth, CROP_LOG: crop.truth}
    truth["summary"] = {name: _summary(rows) for name, rows in truth.items()}
    truth["captions"] = captions  # image path -> the prompt it carries and where
    root.ground_truth.mkdir(parents=True, exist_ok=True)
    (root.ground_truth / "curation.json").write_text(json.dumps(truth, indent=2))
    return truth


def _variant(rel: str, variant: int) -> str:
    """How other tools and machines wrote the same path."""
    if variant == 1:
        return OTHER_MACHINE + rel  # absolute, from another machine
    if variant == 2:
        return rel.removeprefix("curation/")  # relative to the curation folder, not the data root
    return "C:\\Users\\erik\\mojo1\\" + rel.replace("/", "\\")  # a Windows machine


def _selection_defects(log: _Log, sets: list[list[str]]) -> None:
    a, b = sets[0], sets[1]
    log.add(
        ["2025-10-09T12:00:00", "s9", "set_x", a[0].replace("stage1", "stage9"), json.dumps(a[1:])],
        "quarantined",
        "curation.file_missing",
    )
    log.add(
        ["2025-10-09T12:01:00", "s9", "set_000", a[0], json.dumps(a)], "quarantined", "selection.chosen_among_rejected"
    )
    log.add(
        ["2025-10-09T12:02:00", "s9", "set_000", a[0], "stage2.png; stage3.png"],
        "quarantined",
        "selection.neg_paths_malformed",
    )
    log.add(
        ["2025-10-09T12:03:00", "s9", "dup", "/Volumes/old/shared_name.png", json.dumps(b[:1])],
        "quarantined",
        "curation.path_ambiguous",
    )
    log.add(["2025-10-09T12:04:00", "s9", "set_001"], "quarantined", "curation.row_malformed")
    log.add(["2025-10-09T12:05:00", "s9", "set_001", b[0], json.dumps(b[1:]), "tool=2.3"])  # extra column: fine
    log.add_partial(["2025-10-09T12:06:00", "s9", "set_001", b[1], json.dumps([b[0]])])


def _crop_defects(log: _Log, sets: list[list[str]], w: int, h: int) -> None:
    a = sets[2][:2]
    base = ["2025-10-09T13:00:00", "s9", "set_002", "set_002"]

    def row(chosen_idx=0, chosen=None, paths=a, sizes=((w, h), (w, h)), box=(10, 10, w // 2, h // 2)):
        slots = [v for k, p in enumerate(paths) for v in (p, f"stage{k + 1}", *sizes[k])]
        return [*base, chosen_idx, chosen or paths[chosen_idx], *slots, *box]

    gone = [a[0].replace("stage1", "stage8"), a[1]]
    log.add(row(paths=gone, sizes=((0, 0), (w, h))), "quarantined", "crop.size_unrecoverable")
    log.add(row(paths=gone), "quarantined", "curation.file_missing")
    log.add(row(box=(0, 0, 1, 1)), "quarantined", "crop.box_placeholder")
    log.add(row(box=(0, 0, w, h)), "quarantined", "crop.box_placeholder")
    log.add(row(box=(50, 10, 20, 40)), "quarantined", "crop.box_degenerate")
    log.add(row(box=(10, 10, w + 40, h // 2)), "quarantined", "crop.box_outside_image")
    log.add(row(chosen_idx=5, chosen=a[0]), "quarantined", "crop.chosen_index_out_of_range")
    log.add(row(chosen_idx=0, chosen=a[1]), "quarantined", "crop.chosen_path_mismatch")
    log.add(row(sizes=((100, 100), (w, h))), "quarantined", "crop.size_disagrees")
    log.add(row(box=("", 10, 20, 40)), "quarantined", "crop.box_not_numeric")
    log.add(
        row(paths=["/Volumes/old/shared_name.png", a[1]], chosen="/Volumes/old/shared_name.png"),
        "quarantined",
        "curation.path_ambiguous",
    )
    log.add(["2025-10-09T13:05:00", "s9", "set_002", "dir", "zero", "x"], "quarantined", "curation.row_malformed")
    log.add_partial(row())


def write_hostile_images(root: DataRoot, jpeg_source: str) -> dict[str, str]:
    """Files that lie about themselves, each with the rule the image inspection must refuse it under."""
    folder = root.curation / "images" / "hostile"
    folder.mkdir(parents=True, exist_ok=True)
    with Image.open(root.root / jpeg_source) as img:
        jpeg = io.BytesIO()
        img.convert("RGB").save(jpeg, "JPEG")
    files = {
        "disguised_bomb.png": (bmp_declaring(20_000, 20_000), "image.too_many_pixels"),
        "bomb.png": (png_declaring(30_000, 30_000), "image.too_many_pixels"),
        "notes.png": (b"these are my notes, not a picture\n" * 20, "image.undecodable"),
        "photo.png": (jpeg.getvalue(), "image.format_mismatch"),
    }
    out = {}
    for name, (data, rule) in files.items():
        (folder / name).write_bytes(data)
        out[(folder / name).relative_to(root.root).as_posix()] = rule
    return out


def _hostile_rows(sel: _Log, crop: _Log, hostile: dict[str, str], group: list[str], w: int, h: int) -> None:
    """Rows naming a hostile image (quarantined with the image's rule) and ids with control characters."""
    for k, (path, rule) in enumerate(hostile.items()):
        sel.add([f"2025-10-09T14:0{k}:00", "s9", "set_003", path, json.dumps(group[1:])], "quarantined", rule)
        slots = [path, "stage1", w, h, group[1], "stage2", w, h]
        crop.add(
            [f"2025-10-09T15:0{k}:00", "s9", "set_003", "set_003", 0, path, *slots, 5, 5, 20, 20], "quarantined", rule
        )
    sel.add(["2025-10-09T14:09:00", "s9\x00", "set_003", group[0], json.dumps(group[1:])], "quarantined", ID_RULE)
    sel.add(["2025-10-09T14:10:00", "s9", "set\x1b[2J", group[0], json.dumps(group[1:])], "quarantined", ID_RULE)


def _summary(rows: list[dict]) -> dict:
    by_rule: dict[str, int] = {}
    for r in rows:
        if r["rule"]:
            by_rule[r["rule"]] = by_rule.get(r["rule"], 0) + 1
    accepted = [r for r in rows if r["expected"] == "accepted"]
    return {
        "rows": len(rows),
        "accepted": len(accepted),
        "recovered": sum(r["recovered"] for r in accepted),
        "quarantined_by_rule": dict(sorted(by_rule.items())),
    }

"""Rules of one `select_crop_log.csv` row: a group of images, the chosen one, and the crop drawn on it.

Rows come from several tool versions: the canonical layout, an older one without `directory`, and
newer ones with extra trailing columns. Image slots are recognised by shape, so all three parse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from curata import rules
from curata.curation.paths import PathResolver
from curata.curation.refusal import check_ids, inspect_all, resolve_all
from curata.images import IMAGE_EXTENSIONS
from curata.rules import Refused

CROP_FIXED = ["timestamp", "session_id", "set_id", "directory", "chosen_idx", "chosen_path"]
CROP_BOX = ["crop_x1", "crop_y1", "crop_x2", "crop_y2"]


def crop_header(n_images: int) -> list[str]:
    slots = [
        f"{c}_{k}" if c.startswith(("width", "height")) else f"image_{k}_{c}"
        for k in range(n_images)
        for c in ("path", "stage", "width", "height")
    ]
    return CROP_FIXED + slots + CROP_BOX


@dataclass(frozen=True)
class CropFields:
    timestamp: str
    session_id: str
    set_id: str
    directory: str | None
    chosen_idx: str
    chosen_path: str
    images: list[tuple[str, str, str, str]]  # (path, stage, width, height) as logged
    box: list[str]
    layout: str


def _is_int(text: str) -> bool:
    return text.strip().lstrip("-").isdigit()


def _is_image_slot(slot: list[str]) -> bool:
    path, _stage, width, height = slot
    ext = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return ext in IMAGE_EXTENSIONS and all(v.strip() == "" or _is_int(v) for v in (width, height))


def parse_crop_fields(fields: list[str]) -> CropFields | None:
    """The row's parts by position and shape; None when it fits no known layout."""
    if len(fields) > 4 and _is_int(fields[4]):
        fixed, directory, layout = 6, fields[3], "canonical"
    elif len(fields) > 3 and _is_int(fields[3]):
        fixed, directory, layout = 5, None, "no_directory"
    else:
        return None
    images = []
    i = fixed
    while i + 8 <= len(fields) and _is_image_slot(fields[i : i + 4]):
        images.append(tuple(fields[i : i + 4]))
        i += 4
    if not images or i + 4 > len(fields):
        return None
    if i + 4 < len(fields):
        layout = "extra_columns"
    return CropFields(
        fields[0],
        fields[1],
        fields[2],
        directory,
        fields[fixed - 2],
        fields[fixed - 1],
        images,
        fields[i : i + 4],
        layout,
    )


def _logged_size(width: str, height: str) -> tuple[int, int] | None:
    """The logged size, or None when it was left out or logged as (0, 0): the historical bug."""
    if not width.strip() or not height.strip():
        return None
    w, h = int(width), int(height)
    return None if (w, h) == (0, 0) else (w, h)


def validate_crop(fields: list[str], record_id: str, where: str, resolver: PathResolver) -> dict:
    """The accepted row (sizes recovered where logged as (0, 0)), or raises Refused."""
    row = parse_crop_fields(fields)
    if row is None:
        raise Refused(rules.ROW_MALFORMED, where, f"{len(fields)} columns fit no known select_crop_log layout")
    check_ids(where, session_id=row.session_id, set_id=row.set_id)
    try:
        box = [float(v) for v in row.box]
    except ValueError as exc:
        raise Refused(rules.BOX_NOT_NUMERIC, where, f"crop box {row.box}") from exc
    if not all(math.isfinite(v) for v in box):
        raise Refused(rules.BOX_NOT_NUMERIC, where, f"crop box {row.box}")
    idx = int(row.chosen_idx)
    if not 0 <= idx < len(row.images):
        raise Refused(rules.CHOSEN_INDEX_OUT_OF_RANGE, where, f"chosen_idx {idx} with {len(row.images)} images")

    logged_sizes = [_logged_size(w, h) for _, _, w, h in row.images]
    for (path, _, _, _), size in zip(row.images, logged_sizes, strict=True):
        resolved = resolver.resolve(path)
        if resolved.path is None and size is None and resolved.rule is rules.CURATION_FILE_MISSING:
            raise Refused(rules.SIZE_UNRECOVERABLE, where, f"{path}: size not logged and the file is gone")
    paths, methods = resolve_all([p for p, _, _, _ in row.images], resolver, where)
    chosen, chosen_method = resolve_all([row.chosen_path], resolver, where)
    if chosen[0] != paths[idx]:
        raise Refused(rules.CHOSEN_PATH_MISMATCH, where, f"chosen_path {chosen[0]} but image_{idx}_path {paths[idx]}")

    facts = inspect_all(paths, resolver, where)
    sizes, recovered = [], []
    for path, logged, image in zip(paths, logged_sizes, facts, strict=True):
        actual = (image.width, image.height)
        if logged is not None and logged != actual:
            raise Refused(
                rules.SIZE_DISAGREES, where, f"{path}: logged {logged[0]}x{logged[1]}, file {actual[0]}x{actual[1]}"
            )
        sizes.append(actual)
        recovered.append(logged is None)

    width, height = sizes[idx]
    x1, y1, x2, y2 = box
    if (x1, y1, x2, y2) in ((0, 0, 1, 1), (0, 0, width, height)):
        raise Refused(rules.BOX_PLACEHOLDER, where, f"box {row.box} on a {width}x{height} image")
    if x2 <= x1 or y2 <= y1:
        raise Refused(rules.BOX_DEGENERATE, where, f"box {row.box}")
    if x1 < 0 or y1 < 0 or x2 > width or y2 > height:
        raise Refused(rules.BOX_OUTSIDE, where, f"box {row.box} on a {width}x{height} image")
    return {
        "record_id": record_id,
        "timestamp": row.timestamp,
        "session_id": row.session_id,
        "set_id": row.set_id,
        "directory": row.directory,
        "tool_layout": row.layout,
        "chosen_idx": idx,
        "chosen_path": paths[idx],
        "chosen_sha256": facts[idx].sha256,
        "image_paths": paths,
        "image_stages": [stage for _, stage, _, _ in row.images],
        "image_widths": [w for w, _ in sizes],
        "image_heights": [h for _, h in sizes],
        "sizes_recovered": recovered,
        "width": width,
        "height": height,
        "crop_x1": x1,
        "crop_y1": y1,
        "crop_x2": x2,
        "crop_y2": y2,
        "crop_nx1": x1 / width,
        "crop_ny1": y1 / height,
        "crop_nx2": x2 / width,
        "crop_ny2": y2 / height,
        "path_methods": methods + chosen_method,
    }

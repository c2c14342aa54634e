"""Integrity rules re-checked on accepted curation rows, independent of the validators."""

from __future__ import annotations

import re
from collections.abc import Iterable

_DRIVE = re.compile(r"^[A-Za-z]:")


def path_format_problems(paths: Iterable[str]) -> list[str]:
    """Paths not in the one format: POSIX, relative to the data root, no `..`."""
    problems = []
    for p in paths:
        if not p or p.startswith("/") or "\\" in p or _DRIVE.match(p) or ".." in p.split("/") or p.startswith("./"):
            problems.append(f"{p!r} is not a relative POSIX path under the data root")
    return problems


def crop_problems(rows: Iterable[dict]) -> list[str]:
    """Accepted crops with non-positive sizes, a box outside [0, 1], or a placeholder box."""
    problems = []
    for r in rows:
        rid = r["record_id"]
        if not (r["width"] > 0 and r["height"] > 0):
            problems.append(f"{rid}: size {r['width']}x{r['height']}")
        if any(w <= 0 for w in r["image_widths"]) or any(h <= 0 for h in r["image_heights"]):
            problems.append(f"{rid}: an image of the group has no size")
        n = (r["crop_nx1"], r["crop_ny1"], r["crop_nx2"], r["crop_ny2"])
        if not all(0.0 <= v <= 1.0 for v in n) or not (n[0] < n[2] and n[1] < n[3]):
            problems.append(f"{rid}: normalised box {n} is not inside [0, 1]")
        if n == (0.0, 0.0, 1.0, 1.0) or (r["crop_x1"], r["crop_y1"], r["crop_x2"], r["crop_y2"]) == (0, 0, 1, 1):
            problems.append(f"{rid}: placeholder box survived")
    return problems

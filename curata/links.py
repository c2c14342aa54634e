"""Links that resolve outside the data root: one decision for every input kind, made before anything is read.

A link can point anywhere; what lies outside the data root is not an input, so it is quarantined, never read.
A link that stays inside the root is followed like the file or folder it names. An input folder itself
(`sessions/`, `library/images/`, ...) may be a link to another disk: it is the layout, not a record, and what
lies inside it counts as inside the root.
"""

from __future__ import annotations

import os
from pathlib import Path

from curata import rules
from curata.rules import Refused, Violation


def _within(real: str, folder: str) -> bool:
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)


def link_outside_root(path: Path, data_root: Path, base: Path | None = None) -> Violation | None:
    """The first link below `base` (default: the input folder `path` is in) on the way to `path` that resolves
    outside both the data root and `base`, as a violation naming the link and its target; None if there is none.

    Only lstat, readlink and realpath are used: nothing the link points at is opened or listed.
    """
    try:
        parts = path.relative_to(data_root).parts
    except ValueError:
        return None  # not under the root as written: the caller's own path rule applies
    if ".." in parts or not parts:
        return None  # leaves the root by name, not by a link: the caller's own path rule applies
    base = base or data_root / parts[0]
    allowed = (os.path.realpath(data_root), os.path.realpath(base))
    walked = data_root
    for part in parts:
        walked = walked / part
        if not walked.is_relative_to(base) or walked == base or not os.path.islink(walked):
            continue
        real = os.path.realpath(walked)  # a loop does not raise here: it stays inside and is the caller's
        if not any(_within(real, folder) for folder in allowed):
            rel = walked.relative_to(data_root).as_posix()
            detail = f"{rel} links to {os.readlink(walked)!r}, which resolves to {real!r} outside the data root"
            return Violation(rules.LINK_OUTSIDE_ROOT, rel, detail)
    return None


def refuse_link_outside_root(path: Path, data_root: Path, base: Path | None = None) -> None:
    """Raises Refused when `path` leaves the data root through a link."""
    violation = link_outside_root(path, data_root, base)
    if violation is not None:
        raise Refused(violation.rule, violation.file, violation.detail)

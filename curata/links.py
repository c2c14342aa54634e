"""Links that resolve outside the data root: one decision for every input kind, made before anything is read.

A link can point anywhere; what lies outside the data root is not an input, so it is quarantined, never read.
A link that stays inside the root is followed like the file or folder it names.
"""

from __future__ import annotations

import os
from pathlib import Path

from curata import rules
from curata.rules import Refused, Violation


def _inside(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real + os.sep)


def link_outside_root(path: Path, data_root: Path) -> Violation | None:
    """The first link on the way from `data_root` to `path` that resolves outside the root, as a violation.

    Only lstat and readlink are used: nothing the link points at is opened or listed.
    """
    try:
        parts = path.relative_to(data_root).parts
    except ValueError:
        return None  # not under the root as written: the caller's own path rule applies
    if ".." in parts:
        return None  # leaves the root by name, not by a link: the caller's own path rule applies
    root_real = os.path.realpath(data_root)
    walked = data_root
    for part in parts:
        walked = walked / part
        if not os.path.islink(walked):
            continue
        real = os.path.realpath(walked)  # a loop does not raise here: it stays inside and is the caller's
        if not _inside(real, root_real):
            rel = walked.relative_to(data_root).as_posix()
            detail = f"{rel} links to {os.readlink(walked)!r}, which resolves to {real!r} outside the data root"
            return Violation(rules.LINK_OUTSIDE_ROOT, rel, detail)
    return None


def refuse_link_outside_root(path: Path, data_root: Path) -> None:
    """Raises Refused when `path` leaves the data root through a link."""
    violation = link_outside_root(path, data_root)
    if violation is not None:
        raise Refused(violation.rule, violation.file, violation.detail)

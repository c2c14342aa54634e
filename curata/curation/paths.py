"""Normalises logged image paths to one format: POSIX, relative to the data root.

A path that does not resolve as written falls back to the file under the data root that shares
the longest path suffix with it (the file name at least). A tie is ambiguous and never guessed.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from curata import rules
from curata.images import ImageFacts, ImageInspector, ImageLimits
from curata.links import link_outside_root
from curata.rules import Rule, Violation

# Folders of the data root that hold pipeline output, never logged images.
OUTPUT_FOLDERS = {"warehouse", "exports", "reports", "ground_truth"}


@dataclass(frozen=True)
class Resolved:
    path: str | None  # relative POSIX path under the data root; None when refused
    method: str  # "direct", "suffix", or "" when refused
    rule: Rule | None = None
    detail: str = ""


def _parts(logged: str) -> tuple[str, ...]:
    """Path components of a logged path, whether it was written on POSIX or Windows."""
    text = logged.strip()
    pure = PureWindowsPath(text) if ("\\" in text or (len(text) > 1 and text[1] == ":")) else PurePosixPath(text)
    return tuple(p for p in pure.parts if p not in ("/", "\\", "") and not p.endswith(":\\") and p != ".")


class PathResolver:
    """Resolves paths against one data root; the file-name index is built once, on first need."""

    def __init__(self, data_root: Path, limits: ImageLimits):
        self.root = data_root.resolve()
        self.images = ImageInspector(limits)
        self._by_name: dict[str, list[str]] | None = None
        self._lock = threading.Lock()
        self._resolved: dict[str, Resolved] = {}

    def _index(self) -> dict[str, list[str]]:
        with self._lock:
            if self._by_name is None:
                by_name: dict[str, list[str]] = defaultdict(list)
                for folder, dirs, files in os.walk(self.root):
                    rel_folder = Path(folder).relative_to(self.root).as_posix()
                    if rel_folder == ".":
                        dirs[:] = [d for d in dirs if d not in OUTPUT_FOLDERS]
                    dirs[:] = [d for d in dirs if not d.startswith(".")]
                    for name in files:
                        if not os.path.islink(os.path.join(folder, name)):
                            rel = name if rel_folder == "." else f"{rel_folder}/{name}"
                            by_name[name].append(rel)
                self._by_name = dict(by_name)
            return self._by_name

    def resolve(self, logged: str) -> Resolved:
        """Cached: a log names the same images in many rows."""
        if logged not in self._resolved:
            self._resolved[logged] = self._resolve(logged)
        return self._resolved[logged]

    def _resolve(self, logged: str) -> Resolved:
        parts = _parts(logged)
        if not parts:
            return Resolved(None, "", rules.CURATION_FILE_MISSING, "empty path")
        link_out = self._link_out(logged)
        if link_out is not None:
            return Resolved(None, "", link_out.rule, link_out.detail)
        direct = self._direct(logged)
        if direct is not None:
            return Resolved(direct, "direct")
        candidates = self._index().get(parts[-1], [])
        if not candidates:
            return Resolved(None, "", rules.CURATION_FILE_MISSING, f"no file named {parts[-1]!r} under the data root")
        scored = sorted(((_common_suffix(parts, tuple(c.split("/"))), c) for c in candidates), reverse=True)
        if len(scored) > 1 and scored[0][0] == scored[1][0]:
            tied = sorted(c for s, c in scored if s == scored[0][0])
            return Resolved(None, "", rules.PATH_AMBIGUOUS, f"{logged!r} fits {tied[:5]} equally")
        return Resolved(scored[0][1], "suffix")

    def _link_out(self, logged: str) -> Violation | None:
        """The path as written, when it names a place in the data root that a link leads out of."""
        text = logged.strip()
        candidate = Path(text) if Path(text).is_absolute() else self.root / text
        return link_outside_root(candidate, self.root)

    def _direct(self, logged: str) -> str | None:
        """The path as written, if it names a regular file inside the data root."""
        text = logged.strip()
        candidate = Path(text) if Path(text).is_absolute() else self.root / text
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(self.root) or not resolved.is_file():
            return None
        rel = resolved.relative_to(self.root)
        if rel.parts and rel.parts[0] in OUTPUT_FOLDERS:
            return None
        return rel.as_posix()

    def inspect(self, rel: str) -> ImageFacts:
        """The image's facts (inspected once per run); raises ImageRejected naming the rule it breaks."""
        return self.images.inspect(self.root / rel)


def _common_suffix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n

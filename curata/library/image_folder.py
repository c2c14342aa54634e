"""library/images/: the one folder a record's file_path may point into, checked without leaving it."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from curata import rules
from curata.layout import DataRoot
from curata.library.source import IMAGES_FOLDER
from curata.links import refuse_link_outside_root
from curata.rules import Refused

MAX_CACHED_FOLDERS = 4096  # subfolders already walked, remembered per reader
_DRIVE = re.compile(r"^[A-Za-z]:")


class ImageFolder:
    """library/images/ resolved once. Below it, each component of a file_path is looked at (lstat), a
    symlink is followed and must land inside; subfolders already walked are remembered, so a record
    usually costs one lstat, for its file."""

    def __init__(self, real: str, rel: str, data_root: Path):
        self.real = real  # the folder, every symlink resolved
        self.rel = rel  # the folder relative to the data root
        self.data_root = Path(os.path.realpath(data_root))  # `real`'s root: paths below `real` are under it
        self._folders: dict[tuple[str, ...], str] = {}

    @classmethod
    def of(cls, root: DataRoot) -> ImageFolder:
        path = root.library / IMAGES_FOLDER
        return cls(os.path.realpath(path), path.relative_to(root.root).as_posix(), root.root)

    def resolve(self, file_path: str, where: str) -> tuple[Path, str]:
        """The file and its path relative to the data root; refuses escapes, links out and missing files."""
        posix = file_path.replace("\\", "/")
        parts = [p for p in posix.split("/") if p not in ("", ".")]
        if posix.startswith("/") or _DRIVE.match(file_path) or ".." in parts or not parts:
            raise Refused(rules.LIBRARY_PATH_ESCAPES, where, f"file_path {file_path!r}")
        rel = f"{self.rel}/{'/'.join(parts)}"
        path = os.path.join(self._folder(parts[:-1], file_path, rel, where), parts[-1])
        mode = self._mode(path, rel, where)
        if stat.S_ISLNK(mode):
            path = self._inside(path, file_path, where)
            mode = self._mode(path, rel, where)
        if not stat.S_ISREG(mode):
            raise Refused(rules.LIBRARY_IMAGE_MISSING, where, f"{rel} is not a file")
        return Path(path), rel

    def _folder(self, parts: list[str], file_path: str, rel: str, where: str) -> str:
        """The real path of the subfolder `parts`, walked once."""
        key = tuple(parts)
        known = self._folders.get(key)
        if known is not None:
            return known
        path = self.real
        for part in parts:
            path = os.path.join(path, part)
            mode = self._mode(path, rel, where)
            if stat.S_ISLNK(mode):
                path = self._inside(path, file_path, where)
                mode = self._mode(path, rel, where)
            if not stat.S_ISDIR(mode):
                raise Refused(rules.LIBRARY_IMAGE_MISSING, where, f"no file {rel}")
        if len(self._folders) >= MAX_CACHED_FOLDERS:
            self._folders.clear()
        self._folders[key] = path
        return path

    def _inside(self, link: str, file_path: str, where: str) -> str:
        refuse_link_outside_root(Path(link), self.data_root, base=Path(self.real))
        real = os.path.realpath(link)
        if not real.startswith(self.real + os.sep):
            raise Refused(rules.LIBRARY_PATH_ESCAPES, where, f"file_path {file_path!r} links to {real!r}")
        return real

    @staticmethod
    def _mode(path: str, rel: str, where: str) -> int:
        try:
            return os.lstat(path).st_mode
        except OSError:
            raise Refused(rules.LIBRARY_IMAGE_MISSING, where, f"no file {rel}") from None

"""Lists and hashes the files of one finished project: the sandbox stages and the kept winners."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from curata.hashing import sha256_file
from curata.images import DEFAULT_MAX_PIXELS, declared_size, read_header_size
from curata.projects.naming import IMAGE_EXTENSIONS, StageName, parse_stage_name


@dataclass(frozen=True)
class ProjectFile:
    path: str  # relative to the data root, POSIX
    name: str
    role: str  # "sandbox" or "winner"
    sha256: str | None  # None for directories and unreadable files
    parsed: StageName | None
    is_image_name: bool
    error: str | None = None  # why the file could not be hashed
    unreadable: bool = False  # True for an I/O error; False for a directory or a link


def project_dirs(project_dir: Path) -> tuple[Path, Path]:
    """(sandbox, winners): `<project>/sandbox/<project>/` and `<project>/<project>/`."""
    return project_dir / "sandbox" / project_dir.name, project_dir / project_dir.name


def is_project(project_dir: Path) -> bool:
    return project_dirs(project_dir)[0].is_dir()


def scan_project(project_dir: Path, data_root: Path, workers: int = 4) -> list[ProjectFile]:
    """Every entry of both folders, hashed; nothing is skipped, hidden files included.

    Entries are split into one chunk per worker: a future per small file costs more than its hash.
    """
    entries: list[tuple[os.DirEntry[str], str, str]] = []
    for folder, role in zip(project_dirs(project_dir), ("sandbox", "winner"), strict=True):
        if folder.is_dir():
            prefix = folder.relative_to(data_root).as_posix() + "/"
            entries += [(e, role, prefix) for e in sorted(os.scandir(folder), key=lambda e: e.name)]

    def one(item: tuple[os.DirEntry[str], str, str]) -> ProjectFile:
        entry, role, prefix = item
        rel = prefix + entry.name
        image_name = os.path.splitext(entry.name)[1].lower() in IMAGE_EXTENSIONS
        if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
            kind = "symlink" if entry.is_symlink() else "directory"
            return ProjectFile(rel, entry.name, role, None, None, image_name, f"{kind}, not a file")
        try:
            digest = sha256_file(Path(entry.path))
        except OSError as exc:
            return ProjectFile(rel, entry.name, role, None, None, image_name, f"{type(exc).__name__}: {exc}", True)
        return ProjectFile(rel, entry.name, role, digest, parse_stage_name(entry.name), image_name)

    n = max(1, workers)
    chunks = [entries[i::n] for i in range(n)]
    with ThreadPoolExecutor(max_workers=n) as pool:
        done = pool.map(lambda chunk: [one(item) for item in chunk], chunks)
    return sorted((f for chunk in done for f in chunk), key=lambda f: (f.role != "sandbox", f.name))


def pixel_digest(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[tuple[int, int], str]:
    """Size and hash of the decoded pixels (mode included): equal for a lossless re-encode."""
    with open(path, "rb") as handle:
        size = declared_size(handle.read(1 << 16))
        if size is not None and size[0] * size[1] > max_pixels:
            raise ValueError(f"header declares {size[0]}x{size[1]}, over the pixel limit")
        handle.seek(0)
        with Image.open(handle) as img:
            img.load()
            if img.mode not in ("RGB", "RGBA", "L"):
                img = img.convert("RGBA")
            digest = hashlib.sha256(img.mode.encode() + img.tobytes()).hexdigest()
            return img.size, digest


def header_dims(path: Path) -> tuple[int, int] | None:
    try:
        return read_header_size(path)
    except (OSError, ValueError):
        return None

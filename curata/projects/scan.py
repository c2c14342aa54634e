"""Lists and hashes the files of one finished project: the sandbox stages and the kept winners."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from PIL import Image

from curata.images import IMAGE_EXTENSIONS, ImageFacts, ImageLimits, ImageRejected, inspect_file
from curata.links import link_outside_root
from curata.progress import Progress
from curata.projects.naming import StageName, parse_stage_name
from curata.rules import Rule


@dataclass(frozen=True)
class ProjectFile:
    path: str  # relative to the data root, POSIX
    name: str
    role: str  # "sandbox" or "winner"
    sha256: str | None  # None for directories, links and images that failed inspection
    parsed: StageName | None
    is_image_name: bool
    error: str | None = None  # why the file is not a usable image
    rule: Rule | None = None  # the image rule it broke; None for a directory or a link (a stray)
    facts: ImageFacts | None = None  # what the inspection of an image that passed it found

    @property
    def size(self) -> tuple[int, int] | None:
        return None if self.facts is None else (self.facts.width, self.facts.height)


def project_dirs(project_dir: Path) -> tuple[Path, Path]:
    """(sandbox, winners): `<project>/sandbox/<project>/` and `<project>/<project>/`."""
    return project_dir / "sandbox" / project_dir.name, project_dir / project_dir.name


def is_project(project_dir: Path) -> bool:
    return project_dirs(project_dir)[0].is_dir()


def scan_project(project_dir: Path, data_root: Path, limits: ImageLimits, workers: int = 4) -> list[ProjectFile]:
    """Every entry of both folders, each image inspected (hashed and decoded); nothing is skipped.

    Entries are split into one chunk per worker: a future per small file costs more than its hash.
    """
    entries: list[tuple[os.DirEntry[str], str, str]] = []
    for folder, role in zip(project_dirs(project_dir), ("sandbox", "winner"), strict=True):
        if folder.is_dir():
            prefix = folder.relative_to(data_root).as_posix() + "/"
            entries += [(e, role, prefix) for e in sorted(os.scandir(folder), key=lambda e: e.name)]

    progress = Progress(f"inspecting {project_dir.name}", len(entries), "files")

    def one(item: tuple[os.DirEntry[str], str, str]) -> ProjectFile:
        found = _inspect_entry(item, data_root, limits)
        progress.advance()
        return found

    n = max(1, workers)
    chunks = [entries[i::n] for i in range(n)]
    with ThreadPoolExecutor(max_workers=n) as pool:
        done = [f for chunk in pool.map(lambda chunk: [one(item) for item in chunk], chunks) for f in chunk]
    progress.finish()
    return sorted(done, key=lambda f: (f.role != "sandbox", f.name))


def _inspect_entry(item: tuple[os.DirEntry[str], str, str], data_root: Path, limits: ImageLimits) -> ProjectFile:
    """A project file: a link out of the data root refused unread, a link inside followed, a folder or a link
    to no file as such, a non-image name aside, an image inspected."""
    entry, role, prefix = item
    rel = prefix + entry.name
    image_name = os.path.splitext(entry.name)[1].lower() in IMAGE_EXTENSIONS
    parsed = parse_stage_name(entry.name)
    if entry.is_symlink():
        out = link_outside_root(Path(entry.path), data_root)
        if out is not None:
            return ProjectFile(rel, entry.name, role, None, parsed, image_name, out.detail, out.rule)
    if not os.path.isfile(entry.path):  # follows a link; False for a folder, a loop or a dangling link
        kind = "symlink" if entry.is_symlink() else "directory"
        return ProjectFile(rel, entry.name, role, None, None, image_name, f"{kind}, not a file")
    if not image_name:
        return ProjectFile(rel, entry.name, role, None, parsed, image_name, "not an image file name")
    try:
        facts = inspect_file(Path(entry.path), limits)
    except ImageRejected as rejected:
        return ProjectFile(rel, entry.name, role, None, parsed, image_name, rejected.detail, rejected.rule)
    return ProjectFile(rel, entry.name, role, facts.sha256, parsed, image_name, facts=facts)


def accepted_images(files: list[ProjectFile], groups: pa.Table) -> Iterator[tuple[str, ImageFacts]]:
    """(path, facts) of every member and winner of a group that was not quarantined."""
    kept = groups.filter(pc.not_equal(groups.column("outcome"), "quarantined"))
    paths = {p for ps in kept.column("members").to_pylist() for p in ps} | set(kept.column("winner_path").to_pylist())
    return ((f.path, f.facts) for f in files if f.facts is not None and f.path in paths)


def pixel_digest(path: Path) -> tuple[tuple[int, int], str]:
    """Size and hash of the decoded pixels (mode included): equal for a lossless re-encode.

    Only called on files that passed the image inspection, so the pixel limit already holds.
    """
    with Image.open(path) as img:
        img.load()
        if img.mode not in ("RGB", "RGBA", "L"):
            img = img.convert("RGBA")
        digest = hashlib.sha256(img.mode.encode() + img.tobytes()).hexdigest()
        return img.size, digest

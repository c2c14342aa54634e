"""What a packed day holds: every folder, file and link of its session folders, with size, sha256 and mtime.

Paths are POSIX and relative to the sessions folder (`<session folder>/<file>`). Links are kept as links,
never followed: an archive holds exactly what the folder held, and removing it removes only that.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from curata.hashing import sha256_file

MANIFEST_NAME = ".curata-manifest.json"  # the last member of every archive; hidden, so never a session folder
DIR, FILE, LINK = "dir", "file", "link"


class ArchiveError(RuntimeError):
    """A day could not be archived or restored; nothing was removed."""


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    kind: str  # DIR, FILE or LINK
    size: int  # bytes of a file, of a link's target text; 0 for a folder
    sha256: str  # of a file's bytes or a link's target text; "" for a folder
    mode: int  # permission bits
    mtime_ns: int

    @property
    def content(self) -> tuple[str, str, int, str]:
        """What must be equal for two entries to hold the same bytes (a folder's mtime moves with its files)."""
        return (self.path, self.kind, self.size, self.sha256)


def encode_manifest(entries: list[ManifestEntry]) -> bytes:
    return json.dumps({"version": 1, "entries": [asdict(e) for e in entries]}, indent=0).encode("utf-8")


def decode_manifest(data: bytes) -> list[ManifestEntry]:
    return [ManifestEntry(**e) for e in json.loads(data)["entries"]]


def walk(sessions_dir: Path, folders: Iterable[str]) -> Iterator[tuple[str, Path, os.stat_result]]:
    """Every entry of the named folders, each folder before its contents, in name order; links not followed."""
    for name in sorted(folders):
        yield from _walk_one(sessions_dir / name, name)


def _walk_one(path: Path, rel: str) -> Iterator[tuple[str, Path, os.stat_result]]:
    info = path.lstat()
    yield rel, path, info
    if stat.S_ISDIR(info.st_mode):
        for child in sorted(os.listdir(path)):
            yield from _walk_one(path / child, f"{rel}/{child}")


def kind_of(rel: str, info: os.stat_result) -> str:
    if stat.S_ISDIR(info.st_mode):
        return DIR
    if stat.S_ISREG(info.st_mode):
        return FILE
    if stat.S_ISLNK(info.st_mode):
        return LINK
    raise ArchiveError(f"{rel} is neither a folder, a file nor a link; move it out of the sessions folder")


def entry_of(rel: str, info: os.stat_result, kind: str, size: int = 0, sha256: str = "") -> ManifestEntry:
    return ManifestEntry(rel, kind, size, sha256, stat.S_IMODE(info.st_mode), info.st_mtime_ns)


def link_entry(rel: str, path: Path, info: os.stat_result) -> ManifestEntry:
    target = os.fsencode(os.readlink(path))
    return entry_of(rel, info, LINK, len(target), hashlib.sha256(target).hexdigest())


def hot_entries(sessions_dir: Path, folders: Iterable[str]) -> list[ManifestEntry]:
    """The manifest the folders on disk would have now (every file read): to compare with an archive's."""
    out = []
    for rel, path, info in walk(sessions_dir, folders):
        kind = kind_of(rel, info)
        if kind == FILE:
            out.append(entry_of(rel, info, FILE, info.st_size, sha256_file(path)))
        elif kind == LINK:
            out.append(link_entry(rel, path, info))
        else:
            out.append(entry_of(rel, info, DIR))
    return out


def not_in_archive(hot: list[ManifestEntry], archived: list[ManifestEntry]) -> list[str]:
    """Paths on disk that the archive does not hold byte for byte: what removing or replacing them would lose."""
    held = {e.content for e in archived}
    return [e.path for e in hot if e.content not in held]


def same_content(a: list[ManifestEntry], b: list[ManifestEntry]) -> bool:
    return sorted(e.content for e in a) == sorted(e.content for e in b)


def folder_of(path: str) -> str:
    return path.split("/", 1)[0]

"""Lists the session folders under a sessions directory: the raw input records, cheaply."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from curata.sessions.naming import assign_partition


@dataclass(frozen=True)
class RawSessionFolder:
    name: str
    partition_date: str
    partition_source: str
    newest_mtime: float
    file_count: int
    total_bytes: int


def newest_mtime_and_size(folder: Path) -> tuple[float, int, int]:
    """Newest mtime of the folder and its entries (links not followed), file count, bytes.

    A symlinked or unreadable folder reports its own lstat only: validation quarantines it.
    """
    newest = folder.lstat().st_mtime
    count = 0
    total = 0
    if folder.is_symlink():
        return newest, count, total
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                newest = max(newest, info.st_mtime)
                count += 1
                total += info.st_size
    except OSError:
        pass
    return newest, count, total


def is_session_candidate(entry: os.DirEntry[str]) -> bool:
    """Every directory (or link to one, even dangling) in the sessions folder is a record; hidden ones are not."""
    if entry.name.startswith("."):
        return False
    return entry.is_symlink() or entry.is_dir(follow_symlinks=False)


def list_session_folders(sessions_dir: Path) -> list[RawSessionFolder]:
    if not sessions_dir.is_dir():
        return []
    folders: list[RawSessionFolder] = []
    with os.scandir(sessions_dir) as entries:
        candidates = sorted((e for e in entries if is_session_candidate(e)), key=lambda e: e.name)
    for entry in candidates:
        folder = Path(entry.path)
        assignment = assign_partition(folder)
        newest, count, total = newest_mtime_and_size(folder)
        folders.append(
            RawSessionFolder(
                name=entry.name,
                partition_date=assignment.day.isoformat(),
                partition_source=assignment.source,
                newest_mtime=newest,
                file_count=count,
                total_bytes=total,
            )
        )
    return folders

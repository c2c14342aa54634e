"""Lists the session folders under a sessions directory: the raw input records, cheaply.

At a million folders the cost is in statting, so the day of a folder is read from its name for
all names at once (numpy over the listed bytes), and only the folders asked for are statted.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from curata.links import link_outside_root
from curata.sessions.naming import assign_partition, folder_stamp


@dataclass(frozen=True)
class RawSessionFolder:
    name: str
    partition_date: str
    partition_source: str
    newest_mtime: float
    file_count: int
    total_bytes: int


def newest_mtime_and_size(folder: Path, data_root: Path | None = None) -> tuple[float, int, int]:
    """Newest mtime of the folder and its entries (links among them not followed), file count, bytes.

    A folder link is measured by the folder it resolves to when that stays inside `data_root` (by default the
    sessions folder's parent), so that it settles as that folder does; any other link or an unreadable folder
    reports its own lstat only: validation quarantines it.
    """
    info = os.lstat(folder)
    count = 0
    total = 0
    if stat.S_ISLNK(info.st_mode):
        if link_outside_root(folder, data_root or folder.parent.parent) is not None or not folder.is_dir():
            return info.st_mtime, count, total
        info = os.stat(folder)
    newest = info.st_mtime
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                entry_info = entry.stat(follow_symlinks=False)
                newest = max(newest, entry_info.st_mtime)
                count += 1
                total += entry_info.st_size
    except OSError:
        pass
    return newest, count, total


def is_record_name(name: str | bytes) -> bool:
    """Hidden entries (a tool's temporaries) are not records; every other name is."""
    return name[:1] not in (".", b".")


def is_session_candidate(entry: os.DirEntry) -> bool:
    """Every directory (or link to one, even dangling or looping) in the sessions folder is a record."""
    return is_record_name(entry.name) and (entry.is_symlink() or entry.is_dir(follow_symlinks=False))


# -- the day in a folder name, for a million names at once -------------------------------------------------
# The byte layout of a well-formed name, derived from the one format (`folder_stamp`): 1 marks a digit.
_LAYOUT = np.frombuffer(("session-" + folder_stamp(datetime(1111, 11, 11, 11, 11, 11, 111000, UTC))).encode(), np.uint8)
NAME_BYTES = len(_LAYOUT)
_DIGIT_AT = np.flatnonzero(_LAYOUT == ord("1"))
_LITERAL_AT = np.flatnonzero(_LAYOUT != ord("1"))
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def name_days(names: Sequence[bytes] | np.ndarray) -> np.ndarray:
    """Per name, its day as the integer yyyymmdd when it is a well-formed session name, else -1.

    Accepts exactly what `naming.parse_folder_name` accepts (a test holds the two together).
    """
    # One byte wider than a name: a longer name keeps a non-zero byte there and cannot pass.
    # Transposed, so that each byte position is one contiguous row.
    raw = np.asarray(names, dtype=f"S{NAME_BYTES + 1}").view(np.uint8).reshape(len(names), NAME_BYTES + 1)
    at = raw.T.copy()
    ok = at[NAME_BYTES] == 0
    for i in _LITERAL_AT:
        ok &= at[i] == _LAYOUT[i]
    digits = at[_DIGIT_AT] - np.uint8(ord("0"))  # uint8 wraps: a non-digit becomes >= 10
    ok &= (digits < 10).all(axis=0)

    def number(first: int, width: int) -> np.ndarray:
        value = np.zeros(len(names), np.int32)
        for row in digits[first : first + width]:
            value = value * 10 + row
        return value

    year, month, day = number(0, 4), number(4, 2), number(6, 2)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    ok &= (number(8, 2) < 24) & (number(10, 2) < 60) & (number(12, 2) < 60)
    return np.where(ok, year * 10000 + month * 100 + day, -1)


def day_text(yyyymmdd: int) -> str:
    return f"{yyyymmdd // 10000:04d}-{yyyymmdd // 100 % 100:02d}-{yyyymmdd % 100:02d}"


def day_number(day: str) -> int:
    return int(day.replace("-", ""))


# -- listing ------------------------------------------------------------------------------------------------
def describe_folder(folder: Path, max_metadata_bytes: int) -> RawSessionFolder:
    assignment = assign_partition(folder, max_metadata_bytes)
    newest, count, total = newest_mtime_and_size(folder)
    return RawSessionFolder(
        name=folder.name,
        partition_date=assignment.day.isoformat(),
        partition_source=assignment.source,
        newest_mtime=newest,
        file_count=count,
        total_bytes=total,
    )


def list_session_folders(sessions_dir: Path, max_metadata_bytes: int, day: str | None = None) -> list[RawSessionFolder]:
    """Every session folder, by name; with `day`, only that day's (the others are not statted).

    A folder whose name carries no day is placed by `assign_partition` (metadata within the limit, else mtime).
    """
    if not sessions_dir.is_dir():
        return []
    with os.scandir(os.fsencode(sessions_dir)) as entries:
        names = [e.name for e in entries if is_session_candidate(e)]
    if day is not None:
        days = name_days(names)
        names = [n for n, d in zip(names, days.tolist(), strict=True) if d in (day_number(day), -1)]
    folders = [describe_folder(sessions_dir / os.fsdecode(n), max_metadata_bytes) for n in sorted(names)]
    return [f for f in folders if day is None or f.partition_date == day]

"""Brings an archived day back into the sessions folder, byte for byte, with its modes and mtimes.

The object is read into a hidden staging folder beside the sessions and verified whole before any
folder is renamed into place; a folder already there is kept when it holds the archived bytes, and
refused (nothing renamed) when it holds anything the archive does not. Restoring twice does nothing.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from curata.archive.days import Tiers
from curata.archive.manifest import LINK, ArchiveError, ManifestEntry, folder_of, hot_entries, not_in_archive
from curata.archive.receipts import RECEIPTS, RESTORED, read_receipt, write_receipt
from curata.archive.verify import SHOWN, VerificationFailed, archive_problems, read_back


class NotArchived(ArchiveError):
    """The day has no receipt: it was never archived from this store."""


class RestoreConflict(ArchiveError):
    """A folder on disk holds what the archive does not; it is never overwritten."""


@dataclass(frozen=True)
class RestoreOutcome:
    day: str
    restored: int  # folders put back by this call
    already_hot: int  # folders found on disk holding the archived bytes


def restore_day(day: str, tiers: Tiers) -> RestoreOutcome:
    receipt = read_receipt(tiers.store, day)
    if receipt is None:
        raise NotArchived(f"day {day} has no archive receipt under {RECEIPTS}/ in {tiers.store.url}: never archived")
    sessions = tiers.sessions_dir
    if receipt.hot_copy == RESTORED and all(os.path.lexists(sessions / f) for f in receipt.folders):
        return RestoreOutcome(day, 0, len(receipt.folders))
    for leftover in sessions.glob(f".restore-{day}-*"):  # a restore that was killed
        shutil.rmtree(leftover)
    staging = sessions / f".restore-{day}-{uuid.uuid4().hex[:8]}"  # hidden: never taken for a session folder
    staging.mkdir()
    try:
        manifest = fetch_verified(
            tiers, receipt.entry.object_key, receipt.entry.sha256, receipt.entry.bytes_packed, staging
        )
        place, keep = placement(sessions, receipt.folders, manifest)
        for folder in place:
            _move_into_place(staging / folder, sessions / folder, manifest)
        write_receipt(tiers.store, receipt.restored())
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreOutcome(day, len(place), len(keep))


def fetch_verified(tiers: Tiers, key: str, sha256: str, size: int, staging: Path) -> list[ManifestEntry]:
    """The object written out below `staging`, verified whole, with its modes and mtimes set."""
    cold = tiers.cold
    cold.check_reachable()
    contents = read_back(cold, key, into=staging)
    problems = archive_problems(contents, sha256, size)
    if problems:
        raise VerificationFailed(key, problems)
    set_times_and_modes(staging, contents.manifest)
    return contents.manifest


def placement(sessions: Path, folders: tuple[str, ...], manifest: list[ManifestEntry]) -> tuple[list[str], list[str]]:
    """(folders to put in place, folders already there with the archived bytes); refuses any that differ."""
    place, keep, conflicts = [], [], []
    for folder in folders:
        if not os.path.lexists(sessions / folder):
            place.append(folder)
            continue
        archived = [e for e in manifest if folder_of(e.path) == folder]
        hot = hot_entries(sessions, [folder])
        if not_in_archive(hot, archived):
            conflicts.append(folder)
        elif len(hot) == len(archived):
            keep.append(folder)
        else:
            place.append(folder)  # what an interrupted archive run left: a part of the archived folder
    if conflicts:
        shown = ", ".join(conflicts[:SHOWN])
        raise RestoreConflict(
            f"{len(conflicts)} folder(s) on disk hold files the archive does not ({shown}); "
            "nothing was restored: move them aside and restore again"
        )
    return place, keep


def _move_into_place(source: Path, target: Path, manifest: list[ManifestEntry]) -> None:
    if os.path.lexists(target):
        shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink()
    os.rename(source, target)
    top = next(e for e in manifest if e.path == target.name)
    if top.kind != LINK:  # a move to another parent may touch the folder's own times
        os.utime(target, ns=(top.mtime_ns, top.mtime_ns))


def set_times_and_modes(root: Path, manifest: list[ManifestEntry]) -> None:
    """Children before their folder, so that setting a file's times does not move its folder's mtime again."""
    for e in reversed(manifest):
        path = root / e.path
        if e.kind == LINK:
            os.utime(path, ns=(e.mtime_ns, e.mtime_ns), follow_symlinks=False)
            continue
        os.chmod(path, e.mode)
        os.utime(path, ns=(e.mtime_ns, e.mtime_ns))

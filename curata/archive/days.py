"""Archiving one day: the rules that decide whether it goes, and the order that makes it safe.

Pack and upload, read the object back and verify it, write the receipt, and only then remove the hot
folders. A run that stops anywhere leaves the hot copy whole, or a receipt that lets the next run finish.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from curata.archive.cold import ColdTier, ObjectMissing
from curata.archive.manifest import (
    FILE,
    LINK,
    ArchiveError,
    ManifestEntry,
    hot_entries,
    kind_of,
    not_in_archive,
    same_content,
    walk,
)
from curata.archive.packing import ChunkReader, DayPacker, compressed
from curata.archive.receipts import REMOVED, Receipt, read_receipt, write_receipt
from curata.archive.tables import InventoryEntry
from curata.archive.verify import SHOWN, verify_entry, verify_object
from curata.sessions.inventory import list_session_folders
from curata.sessions.validate import settle_reason
from curata.storage import Store

NOT_DUE = "not_due"  # newer than the retention
DEFERRED = "deferred"  # a folder is still being written, or the day's tables are out of step with the disk
NOTHING = "nothing_to_archive"  # no session folder on that day
ARCHIVED = "archived"  # verified in the cold tier and removed from the hot tier in this run
ALREADY = "already_archived"  # done by an earlier run; nothing to do


@dataclass(frozen=True)
class Tiers:
    """Where a day lives: its session folders (hot), the store that keeps receipts, and the cold bucket."""

    sessions_dir: Path
    store: Store
    cold: ColdTier
    max_metadata_bytes: int  # the sessions' limit, which also places a folder without a day in its name


@dataclass(frozen=True)
class ArchivePolicy:
    settle_seconds: float  # the sessions' limit: a folder modified more recently holds its day back
    retention_days: int = 30
    compression_level: int = 1  # session JPEGs hardly compress: level 3 saves 0.8% more for twice the CPU
    compression_threads: int = 1  # zstd workers beside the reading thread


@dataclass(frozen=True)
class DayOutcome:
    day: str
    status: str
    reason: str = ""
    entry: InventoryEntry | None = None  # the day's inventory row, whenever the cold tier holds the day
    verified: bool = False  # the object was read back whole in this run
    uploaded: bool = False
    removed: int = 0  # session folders removed from the hot tier in this run


def archive_day(
    day: str,
    raw_folders: Iterable[str],
    deferred_folders: Iterable[str],
    tiers: Tiers,
    policy: ArchivePolicy,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> DayOutcome:
    """Archives the day's session folders (as `raw_sessions` listed them) if it is due and settled."""
    now = now or datetime.now(UTC)
    raw = sorted(raw_folders)
    receipt = read_receipt(tiers.store, day)
    if receipt is not None and receipt.hot_copy == REMOVED:
        return finish_removal(receipt, tiers)
    entry = receipt.entry if receipt else None
    waiting = why_not_now(day, raw, sorted(deferred_folders), tiers, policy, now)
    if waiting is not None:
        return DayOutcome(day, waiting[0], waiting[1], entry)
    tiers.cold.check_reachable()
    if receipt is not None:
        reused = rearchive_unchanged(receipt, raw, tiers)
        if reused is not None:
            return reused
    return pack_verify_remove(day, raw, tiers, policy, progress)


def why_not_now(
    day: str, raw: list[str], deferred: list[str], tiers: Tiers, policy: ArchivePolicy, now: datetime
) -> tuple[str, str] | None:
    """(status, reason) when the day must wait; None when it may be archived now."""
    age = (now.date() - date.fromisoformat(day)).days
    if age < policy.retention_days:
        return NOT_DUE, f"{age} day(s) old, under the {policy.retention_days}-day retention"
    on_disk = list_session_folders(tiers.sessions_dir, tiers.max_metadata_bytes, day)
    names = {f.name for f in on_disk}
    now_s = now.timestamp()
    unsettled = [
        f"{f.name} {why}" for f in on_disk if (why := settle_reason(now_s - f.newest_mtime, policy.settle_seconds))
    ]
    reasons = [
        _count("folder(s) deferred by validation", deferred, "validate the day again once they settle"),
        _count("folder(s) on disk not in raw_sessions", sorted(names - set(raw)), "ingest the day again first"),
        _count("folder(s) of raw_sessions no longer on disk", sorted(set(raw) - names), "ingest the day again first"),
        _count("folder(s) still being written", unsettled),
    ]
    reasons = [r for r in reasons if r]
    if reasons:
        return DEFERRED, "; ".join(reasons)
    return (NOTHING, "no session folder on this day") if not raw else None


def _count(what: str, items: list[str], then: str = "") -> str:
    """Like `2 folder(s) ... (a, b): what to do`; empty when there are none."""
    if not items:
        return ""
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return f"{len(items)} {what} ({', '.join(items[:SHOWN])}{more})" + (f": {then}" if then else "")


def pack_verify_remove(
    day: str,
    raw: list[str],
    tiers: Tiers,
    policy: ArchivePolicy,
    progress: Callable[[int], None] | None,
) -> DayOutcome:
    cold = tiers.cold
    key = cold.key_of(day)
    cold.abort_unfinished_uploads(key)
    packer = DayPacker(tiers.sessions_dir, raw)
    stream = ChunkReader(compressed(packer.tar_blocks(), policy.compression_level, policy.compression_threads))
    cold.upload(stream, key, progress)
    etag = verify_object(cold, key, stream.sha256, stream.size, packer.entries).etag
    verified_at = datetime.now(UTC)
    entry = InventoryEntry(
        day, cold.bucket, key, len(raw), packer.files, packer.bytes_raw, stream.size, stream.sha256, etag, verified_at
    )
    return commit_and_remove(Receipt(entry, tuple(raw), REMOVED), packer.entries, tiers, uploaded=True)


def rearchive_unchanged(receipt: Receipt, raw: list[str], tiers: Tiers) -> DayOutcome | None:
    """A restored day whose folders still hold exactly the archived bytes: verify the object, remove, no upload."""
    try:
        contents = verify_entry(tiers.cold, receipt.entry)
    except ObjectMissing:
        return None  # packed and uploaded again from the hot copy
    hot = hot_entries(tiers.sessions_dir, raw)
    if not same_content(hot, contents.manifest):
        return None
    return commit_and_remove(replace(receipt, folders=tuple(raw), hot_copy=REMOVED), hot, tiers, uploaded=False)


def commit_and_remove(receipt: Receipt, read: list[ManifestEntry], tiers: Tiers, uploaded: bool) -> DayOutcome:
    """Receipt first, then the folders: a folder that changed since it was read stops everything."""
    changed = changed_since(tiers.sessions_dir, receipt.folders, read)
    if changed:
        raise ArchiveError(
            f"{_count('path(s) changed after they were packed', changed)}; nothing was removed, "
            "and the next run archives the day again"
        )
    write_receipt(tiers.store, receipt)
    removed = remove_folders(tiers.sessions_dir, receipt.folders)
    return DayOutcome(receipt.entry.day, ARCHIVED, "", receipt.entry, verified=True, uploaded=uploaded, removed=removed)


def finish_removal(receipt: Receipt, tiers: Tiers) -> DayOutcome:
    """An earlier run verified the day and stopped while removing it: remove what is left, if it is archived."""
    day = receipt.entry.day
    left = [f for f in receipt.folders if os.path.lexists(tiers.sessions_dir / f)]
    if not left:
        return DayOutcome(day, ALREADY, "", receipt.entry)
    tiers.cold.check_reachable()
    contents = verify_entry(tiers.cold, receipt.entry)
    lost = not_in_archive(hot_entries(tiers.sessions_dir, left), contents.manifest)
    if lost:
        raise ArchiveError(
            f"day {day} is archived, but {_count('path(s) left on disk differ from the archive', lost)}; "
            "nothing was removed: move them aside, restore the day and compare"
        )
    removed = remove_folders(tiers.sessions_dir, left)
    reason = f"removed {removed} folder(s) an earlier run left behind"
    return DayOutcome(day, ARCHIVED, reason, receipt.entry, verified=True, removed=removed)


def changed_since(sessions_dir: Path, folders: Iterable[str], read: list[ManifestEntry]) -> list[str]:
    """Paths added, removed or modified (size, mtime) since `read` was taken; stat only, no reading."""
    then = {_stat_view(e) for e in read}
    now = set()
    for rel, _path, info in walk(sessions_dir, [f for f in folders if os.path.lexists(sessions_dir / f)]):
        kind = kind_of(rel, info)
        now.add(_stat_view(ManifestEntry(rel, kind, info.st_size, "", 0, info.st_mtime_ns)))
    return sorted({view[0] for view in then ^ now})


def _stat_view(e: ManifestEntry) -> tuple:
    """Folders compare by name only: their mtime and size move with their entries."""
    return (e.path, e.kind, e.size, e.mtime_ns) if e.kind in (FILE, LINK) else (e.path, e.kind)


def remove_folders(sessions_dir: Path, folders: Iterable[str]) -> int:
    removed = 0
    for name in folders:
        path = sessions_dir / name
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            continue
        removed += 1
    return removed

"""Session folder names and timestamps, in the formats the generation app writes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from pathlib import Path

_FOLDER_TS = re.compile(r"^session-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z$")


def parse_folder_name(name: str) -> datetime | None:
    """`session-2025-01-15T10-30-45-123Z` -> aware UTC datetime; None if the name is malformed."""
    match = _FOLDER_TS.match(name)
    if not match:
        return None
    day, hh, mm, ss, ms = match.groups()
    try:
        return datetime.fromisoformat(f"{day}T{hh}:{mm}:{ss}.{ms}+00:00")
    except ValueError:
        return None


def folder_stamp(ts: datetime) -> str:
    """The `<ts>` part of file and folder names: 2025-01-15T10-30-45-123Z."""
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H-%M-%S-") + f"{ts.microsecond // 1000:03d}Z"


METADATA_GLOB = "metadata-*.json"  # a session's metadata file; the app names it after its folder's stamp


def metadata_name(stamp: str) -> str:
    """The metadata file of the session whose folder stamp is `stamp`."""
    return METADATA_GLOB.replace("*", stamp)


def is_metadata_name(name: str) -> bool:
    return fnmatchcase(name, METADATA_GLOB)


def iso_stamp(ts: datetime) -> str:
    """The metadata's timestamp format: 2025-01-15T10:30:45.123Z."""
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PartitionAssignment:
    day: date
    source: str  # "folder_name", "metadata" or "mtime": how the day was found


def assign_partition(folder: Path, max_metadata_bytes: int) -> PartitionAssignment:
    """The day a folder belongs to, so every folder lands in exactly one partition, malformed or not.

    A metadata file over `max_metadata_bytes` is not read (validation refuses it): the next one or the mtime decides.
    """
    ts = parse_folder_name(folder.name)
    if ts is not None:
        return PartitionAssignment(ts.date(), "folder_name")
    metas = [] if folder.is_symlink() else sorted(folder.glob(METADATA_GLOB))
    for meta in metas:
        try:
            if meta.stat().st_size <= max_metadata_bytes:
                value = json.loads(meta.read_text("utf-8"))
                parsed = parse_iso(value.get("timestamp", "")) if isinstance(value, dict) else None
                if parsed is not None:
                    return PartitionAssignment(parsed.astimezone(UTC).date(), "metadata")
        except (OSError, ValueError):
            pass
    mtime = folder.lstat().st_mtime
    return PartitionAssignment(datetime.fromtimestamp(mtime, UTC).date(), "mtime")

"""Which days have new complete session folders: the sensor's logic, without Dagster."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from pathlib import Path

from curata.sessions.inventory import list_session_folders


def settled_fingerprints(sessions_dir: Path, settle_seconds: float, now: float | None = None) -> dict[str, str]:
    """Per day, a fingerprint of its settled folders (name and newest mtime); unsettled ones wait.

    A day whose fingerprint changed since the last look has a new or changed complete folder.
    """
    now = time.time() if now is None else now
    by_day: dict[str, list[str]] = defaultdict(list)
    for folder in list_session_folders(sessions_dir):
        if now - folder.newest_mtime >= settle_seconds:
            by_day[folder.partition_date].append(f"{folder.name}@{folder.newest_mtime:.3f}")
    return {
        day: hashlib.sha1("\n".join(sorted(entries)).encode()).hexdigest()[:16]
        for day, entries in sorted(by_day.items())
    }


def changed_days(previous: dict[str, str], current: dict[str, str]) -> list[str]:
    return sorted(day for day, fp in current.items() if previous.get(day) != fp)

"""What `curata run` launches: one `Work` per run, fingerprinted by what it reads, so an unchanged one is skipped."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from dagster import AssetKey


@dataclass(frozen=True)
class Work:
    """One run to launch: a job, maybe a partition, and the fingerprint of the inputs it reads."""

    stage: str
    job: str
    partition: str | None
    fingerprint: str
    assets: tuple[AssetKey, ...] | None = None  # the job's assets this data root calls for; None: all of them

    @property
    def label(self) -> str:
        return f"{self.stage} {self.partition}" if self.partition else self.stage


def digest(entries: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()[:16]


def tree_digest(*folders: Path) -> str:
    """Names, sizes and modification times of every file below the folders: what a run of them reads."""
    entries = []
    for folder in folders:
        for parent, _, files in os.walk(folder):
            for name in files:
                path = os.path.join(parent, name)
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                entries.append(f"{path}:{info.st_size}:{info.st_mtime_ns}")
    return digest(entries)

"""What the archive tests share: a day of real session folders (one with a link), tiers over moto, tree snapshots."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from curata.archive import ArchivePolicy, ColdTier, Tiers
from curata.archive.cold import MIB
from curata.layout import DataRoot
from curata.sample.sessions import backdate
from curata.sessions.validate import DEFAULT_LIMITS
from curata.storage import S3Connection, Store
from tests.conftest import DAY, later

DAY_KEY = DAY.date().isoformat()
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)  # 45 days after DAY
POLICY = ArchivePolicy(retention_days=30, settle_seconds=120)


def tiers_for(root: DataRoot, s3: S3Connection, bucket: str, part_size: int = 5 * MIB) -> Tiers:
    return Tiers(
        root.sessions,
        Store.at(root.root),
        ColdTier(s3, bucket, "curata", part_size=part_size),
        DEFAULT_LIMITS.max_metadata_bytes,
    )


def write_day(root: DataRoot, make_session) -> list[str]:
    """Three settled sessions of DAY (one holding a link out of its folder), and one session of the next day."""
    folders = [make_session(later(m), seed=m + 1).folder for m in (0, 5, 9)]
    outside = root.root / "outside.jpg"
    outside.write_bytes(b"not in any session folder")
    os.symlink(outside, folders[2] / "extra-link.jpg")
    backdate(folders[2], later(9))
    make_session(DAY + timedelta(days=1), seed=40)
    return sorted(f.name for f in folders)


def add_file(folder: Path, name: str, size: int, when: datetime) -> None:
    """An incompressible file (a large export, say), so that a day spans several multipart parts."""
    (folder / name).write_bytes(os.urandom(size))
    backdate(folder, when)


def snapshot(sessions: Path, names: list[str]) -> dict[str, tuple]:
    """Every entry under the named folders: type, content (bytes, or a link's target), mode, mtime in ns."""
    out = {}
    for name in names:
        for top, dirs, files in os.walk(sessions / name):
            for entry in [Path(top), *(Path(top) / n for n in dirs + files)]:
                info = entry.lstat()
                if stat.S_ISLNK(info.st_mode):
                    content = os.readlink(entry)
                elif stat.S_ISREG(info.st_mode):
                    content = hashlib.sha256(entry.read_bytes()).hexdigest()
                else:
                    content = None
                out[entry.relative_to(sessions).as_posix()] = (
                    stat.S_IFMT(info.st_mode),
                    content,
                    info.st_mode,
                    info.st_mtime_ns,
                )
    return out


def object_bytes(tiers: Tiers, key: str) -> bytes:
    return tiers.cold.client.get_object(Bucket=tiers.cold.bucket, Key=key)["Body"].read()


def unfinished_uploads(tiers: Tiers) -> list[dict]:
    return tiers.cold.client.list_multipart_uploads(Bucket=tiers.cold.bucket).get("Uploads", [])

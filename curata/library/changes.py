"""A cheap change count for "retrain after 500 new or changed images": a digest per record, compared by key.

A record's digest hashes its bytes and its image's content; an image is hashed again only when its
size or modification time differs from the previous map's, so an unchanged library costs one stat
per image.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import pyarrow as pa

from curata.hashing import sha256_file
from curata.layout import DataRoot
from curata.library.image_folder import ImageFolder
from curata.library.source import iter_raw_records, metadata_file
from curata.library.tables import LIBRARY_DIGESTS
from curata.library.validate import library_id
from curata.rules import Refused


@dataclass(frozen=True)
class ChangeCount:
    added: int
    changed: int
    removed: int

    @property
    def added_or_changed(self) -> int:
        return self.added + self.changed


def library_digests(root: DataRoot, max_record_bytes: int, previous: pa.Table | None = None) -> pa.Table:
    """library_digests for the export as it is now; `previous` (the last map) spares rehashing unchanged images.

    `max_record_bytes` is the analysis' record limit, so a record is read here as the analysis reads it.
    """
    path = metadata_file(root)
    if path is None:
        return LIBRARY_DIGESTS.empty()
    known = {}
    if previous is not None:
        columns = ("image_path", "image_size", "image_mtime_ns", "image_sha256")
        known = {r[0]: r[1:] for r in zip(*(previous.column(c).to_pylist() for c in columns), strict=True) if r[0]}
    folder, keys, rows = ImageFolder.of(root), set(), []
    for raw in iter_raw_records(path, max_record_bytes):
        image_id = None if raw.value is None else library_id(raw.value)
        key = image_id if image_id is not None and image_id not in keys else raw.record_id
        keys.add(key)
        image_path, size, mtime, image_sha = _image_state(folder, raw.value, known)
        record_sha = hashlib.sha256(raw.data).hexdigest()
        rows.append(
            {
                "key": key,
                "record_id": raw.record_id,
                "record_sha256": record_sha,
                "image_path": image_path,
                "image_size": size,
                "image_mtime_ns": mtime,
                "image_sha256": image_sha,
                "digest": hashlib.sha256(f"{record_sha}:{image_sha}".encode()).hexdigest(),
            }
        )
    return LIBRARY_DIGESTS.from_rows(rows)


def _image_state(folder: ImageFolder, value: dict | None, known: dict) -> tuple[str | None, int, int, str]:
    file_path = value.get("file_path") if value is not None else None
    if not isinstance(file_path, str) or not file_path.strip():
        return None, -1, -1, ""
    try:
        path, rel = folder.resolve(file_path, "")
        stat = os.stat(path)
    except (Refused, OSError):
        return None, -1, -1, ""
    before = known.get(rel)
    if before is not None and before[0] == stat.st_size and before[1] == stat.st_mtime_ns:
        return rel, stat.st_size, stat.st_mtime_ns, before[2]
    return rel, stat.st_size, stat.st_mtime_ns, sha256_file(path)


def _digest_map(digests: pa.Table) -> dict[str, str]:
    return dict(zip(digests["key"].to_pylist(), digests["digest"].to_pylist(), strict=True))


def count_changes(previous: pa.Table | None, current: pa.Table) -> ChangeCount:
    """Records added, changed (another digest under the same key) and removed since `previous`."""
    before = {} if previous is None else _digest_map(previous)
    now = _digest_map(current)
    added = sum(1 for k in now if k not in before)
    changed = sum(1 for k, d in now.items() if k in before and before[k] != d)
    return ChangeCount(added, changed, sum(1 for k in before if k not in now))

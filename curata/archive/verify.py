"""Is the object in the bucket what was packed? Read it back whole and compare bytes, manifest and members."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from curata.archive.cold import ColdStorageError, ColdTier, ObjectMissing
from curata.archive.manifest import ArchiveError, ManifestEntry
from curata.archive.tables import InventoryEntry
from curata.archive.unpacking import ArchiveContents, read_archive

SHOWN = 5  # paths named per kind of difference; the count is always whole


class VerificationFailed(ArchiveError):
    """The object in the bucket is missing or differs from what was packed: nothing is removed."""

    def __init__(self, key: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{key} failed verification, nothing was removed: " + "; ".join(problems))


def differences(found: list[ManifestEntry], expected: list[ManifestEntry], what: str) -> list[str]:
    """Paths missing, extra or holding other bytes in `found`, compared with `expected`."""
    have = {e.path: e.content for e in found}
    want = {e.path: e.content for e in expected}
    kinds = {
        "missing": sorted(want.keys() - have.keys()),
        "unexpected": sorted(have.keys() - want.keys()),
        "different": sorted(p for p in have.keys() & want.keys() if have[p] != want[p]),
    }
    return [
        f"{len(paths)} path(s) {kind} in {what}: {', '.join(paths[:SHOWN])}" for kind, paths in kinds.items() if paths
    ]


def archive_problems(
    contents: ArchiveContents, sha256: str, size: int, packed: list[ManifestEntry] | None = None
) -> list[str]:
    """Empty when the object is whole, its members match its manifest and (when given) the manifest of packing."""
    problems = [f"unreadable: {contents.problem}"] if contents.problem else []
    if contents.size != size:
        problems.append(f"{contents.size} bytes in the bucket, {size} expected")
    if contents.sha256 != sha256:
        problems.append(f"sha256 {contents.sha256[:16]}... in the bucket, {sha256[:16]}... expected")
    if not contents.problem and not contents.manifest:
        problems.append("it carries no manifest")
    problems += differences(contents.members, contents.manifest, "the archive, against its manifest")
    if packed is not None:
        problems += differences(contents.manifest, packed, "its manifest, against the packed folders")
    return problems


def verify_object(
    cold: ColdTier, key: str, sha256: str, size: int, packed: list[ManifestEntry] | None = None
) -> ArchiveContents:
    """The object read back whole; raises VerificationFailed on any difference, ObjectMissing when absent."""
    contents = read_back(cold, key)
    problems = archive_problems(contents, sha256, size, packed)
    if problems:
        raise VerificationFailed(key, problems)
    return contents


def read_back(cold: ColdTier, key: str, into: Path | None = None) -> ArchiveContents:
    with cold.reading(key) as (body, etag):
        contents = read_archive(body, into)
    contents.etag = etag
    return contents


def verify_entry(cold: ColdTier, entry: InventoryEntry) -> ArchiveContents:
    return verify_object(cold, entry.object_key, entry.sha256, entry.bytes_packed)


def inventory_problems(cold: ColdTier, entries: Iterable[InventoryEntry], deep: bool = True) -> list[str]:
    """One line per inventory entry missing from the bucket or differing from it.

    `deep` reads every object whole (size, sha256, members against the manifest); otherwise one HEAD per
    entry compares size and ETag, which changes whenever an object is replaced.
    """
    problems = []
    for entry in entries:
        try:
            problems += [f"{entry.day} ({entry.object_key}): {p}" for p in _entry_problems(cold, entry, deep)]
        except ColdStorageError as exc:
            return problems + [str(exc)]
    return problems


def _entry_problems(cold: ColdTier, entry: InventoryEntry, deep: bool) -> list[str]:
    if entry.bucket != cold.bucket:
        return [f"recorded in bucket {entry.bucket!r}, but the cold storage is {cold.where}"]
    if deep:
        try:
            return archive_problems(read_back(cold, entry.object_key), entry.sha256, entry.bytes_packed)
        except ObjectMissing:
            return [f"missing from {cold.where}"]
    found = cold.head(entry.object_key)
    if found is None:
        return [f"missing from {cold.where}"]
    same = found["size"] == entry.bytes_packed and found["etag"] == entry.etag
    return [] if same else [f"replaced: size {found['size']}, ETag {found['etag']} in the bucket"]

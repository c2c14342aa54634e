"""Rewrites an archived day without some of its session folders: what an erasure request does to the cold tier.

The old object is read as a stream and every member it keeps is copied into a new tar + zstandard stream,
uploaded to its own key (`<day>.<revision>.tar.zst`), read back and verified whole against the kept part of
the old manifest; only then does the receipt point at it. The caller removes the old object afterwards, by
the key it noted before starting, so a run stopped anywhere leaves the old object or a verified new one.
"""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

import zstandard

from curata.archive.days import Tiers
from curata.archive.manifest import (
    DIR,
    FILE,
    LINK,
    MANIFEST_NAME,
    ArchiveError,
    ManifestEntry,
    decode_manifest,
    encode_manifest,
    folder_of,
)
from curata.archive.packing import BLOCK, CHUNK, ChunkReader, compressed, padding, tar_header
from curata.archive.receipts import Receipt, read_receipt, receipt_key, write_receipt
from curata.archive.tables import InventoryEntry
from curata.archive.unpacking import HashingReader
from curata.archive.verify import verify_object

REWRITTEN = "rewritten"  # a new verified object holds the day's other folders; the receipt points at it
EMPTIED = "emptied"  # no folder of the day is left: the receipt is removed, the day is archived no more
UNCHANGED = "unchanged"  # none of the folders is in the day's archive


@dataclass(frozen=True)
class DayRewrite:
    day: str
    status: str
    entry: InventoryEntry | None  # the day's inventory row now; None when emptied or never archived
    folders_removed: tuple[str, ...]


def rewrite_day_without(
    day: str, folders: set[str], tiers: Tiers, revision: str, compression_level: int = 1
) -> DayRewrite:
    """The day's archive without `folders`; doing it again after it completed changes nothing."""
    receipt = read_receipt(tiers.store, day)
    if receipt is None:
        return DayRewrite(day, UNCHANGED, None, ())
    new_key = tiers.cold.key_of(day, revision)
    gone = tuple(sorted(set(receipt.folders) & folders))
    if receipt.entry.object_key == new_key or not gone:
        return DayRewrite(day, UNCHANGED, receipt.entry, ())
    kept = tuple(f for f in receipt.folders if f not in folders)
    if not kept:
        tiers.store.delete(receipt_key(day))
        return DayRewrite(day, EMPTIED, None, gone)
    cold = tiers.cold
    cold.check_reachable()
    cold.abort_unfinished_uploads(new_key)
    with cold.reading(receipt.entry.object_key) as (body, _):
        source = ArchiveWithout(body, set(gone), receipt.entry.sha256)
        stream = ChunkReader(compressed(source.blocks(), compression_level, 0))
        cold.upload(stream, new_key)
    contents = verify_object(cold, new_key, stream.sha256, stream.size, source.entries)
    files = [e for e in source.entries if e.kind != DIR]
    entry = InventoryEntry(
        day,
        cold.bucket,
        new_key,
        len(kept),
        len(files),
        sum(e.size for e in files if e.kind == FILE),
        stream.size,
        stream.sha256,
        contents.etag,
        datetime.now(UTC),
    )
    write_receipt(tiers.store, Receipt(entry, kept, receipt.hot_copy))
    return DayRewrite(day, REWRITTEN, entry, gone)


class ArchiveWithout:
    """The tar blocks of an archive read from `body`, without the members of `gone`, its manifest last.

    Every kept file is hashed as it is copied and compared with the old manifest, and the old object's
    own sha256 with the receipt's: a damaged source stops the rewrite before anything changes.
    """

    def __init__(self, body: IO[bytes], gone: set[str], sha256: str):
        self.raw = HashingReader(body)
        self.gone = gone
        self.expected_sha256 = sha256
        self.entries: list[ManifestEntry] = []  # the new manifest, complete once blocks() is exhausted
        self.copied: dict[str, str] = {}  # path -> sha256 of what was copied

    def blocks(self) -> Iterator[bytes]:
        old_manifest: list[ManifestEntry] = []
        with zstandard.ZstdDecompressor().stream_reader(self.raw, closefd=False) as plain:
            with tarfile.open(fileobj=plain, mode="r|", bufsize=CHUNK) as tar:
                for member in tar:
                    if member.name == MANIFEST_NAME:
                        old_manifest = decode_manifest(_read(tar, member))
                    elif folder_of(member.name) not in self.gone:
                        yield from self._copy(tar, member)
            while plain.read(CHUNK):
                pass
        self.raw.drain()
        self.entries = self._checked([e for e in old_manifest if folder_of(e.path) not in self.gone])
        manifest = encode_manifest(self.entries)
        yield tar_header(ManifestEntry(MANIFEST_NAME, FILE, len(manifest), "", 0o644, 0)) + manifest
        yield padding(len(manifest)) + b"\0" * (2 * BLOCK)

    def _copy(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> Iterator[bytes]:
        kind = DIR if member.isdir() else LINK if member.issym() else FILE
        if kind == FILE and not member.isreg():
            raise ArchiveError(f"{member.name} in the archive is neither a folder, a file nor a link")
        size = member.size if kind == FILE else 0
        entry = ManifestEntry(member.name, kind, size, "", member.mode, int(member.mtime) * 1_000_000_000)
        yield tar_header(entry, member.linkname if kind == LINK else "")
        if kind != FILE:
            return
        h = hashlib.sha256()
        handle = tar.extractfile(member)
        for chunk in iter(lambda: handle.read(CHUNK), b""):  # type: ignore[union-attr]
            h.update(chunk)
            yield chunk
        self.copied[member.name] = h.hexdigest()
        yield padding(size)

    def _checked(self, entries: list[ManifestEntry]) -> list[ManifestEntry]:
        if self.raw.sha256 != self.expected_sha256:
            raise ArchiveError("the archived object differs from its receipt's sha256; nothing was changed")
        differ = [e.path for e in entries if e.kind == FILE and self.copied.get(e.path) != e.sha256]
        if differ:
            raise ArchiveError(f"{len(differ)} archived file(s) differ from the manifest ({', '.join(differ[:5])})")
        return entries


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    if handle is None:
        raise ArchiveError(f"{member.name} has no content")
    return handle.read()
